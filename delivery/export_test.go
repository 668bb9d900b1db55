package delivery

// Waiting returns how many jobs wait for a send slot of the webhook.
func (w *Worker) Waiting(webhookID string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if g := w.gates[webhookID]; g != nil {
		return len(g.waiting)
	}
	return 0
}
