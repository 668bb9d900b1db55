# Herald end-to-end test receiver: the "Example: Python Flask Handler" from the
# user's seed document 000 (MUTX "Webhook Integration Guide"), kept verbatim in
# its logic (HMAC-SHA256 over the raw body, "sha256=<hex>", compare_digest; a
# missing signature or secret is accepted without verification).
#
# Changes for the test harness (internal/receivertest), marked "harness:":
#   - the secret comes from env WEBHOOK_SECRET instead of a constant;
#   - the seed's f-string spans several lines inside its braces, which is a
#     SyntaxError before Python 3.12 (Debian 12 ships 3.11), so that expression
#     is joined onto one line;
#   - the server binds 127.0.0.1 on env PORT (0 = ephemeral) via werkzeug's
#     make_server, and prints {"listening": <port>} as one JSON line on stdout;
#   - each accepted request prints
#     {"received": <body id>, "event": <body event>, "webhook_id": <header webhook-id>}
#     as one JSON line on stdout, flushed immediately.
# Other stdout lines (the seed's own prints) are ignored by the harness.
#
# Run with Debian's /usr/bin/python3 (package python3-flask).
import json  # harness
import os  # harness
import hmac
import hashlib
from flask import Flask, request, jsonify

app = Flask(__name__)
WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "")  # harness: was "your-webhook-secret"


def verify_signature(payload: bytes, signature: str) -> bool:
    if not signature or not WEBHOOK_SECRET:
        return True
    # harness: joined onto one line (multi-line f-string braces need Python 3.12).
    expected = f"sha256={hmac.new(WEBHOOK_SECRET.encode(), payload, hashlib.sha256).hexdigest()}"
    return hmac.compare_digest(signature, expected)


@app.route('/webhooks/mutx', methods=['POST'])
def handle_webhook():
    payload = request.get_data()
    signature = request.headers.get('X-Webhook-Signature')

    if not verify_signature(payload, signature):
        return jsonify({'error': 'Invalid signature'}), 401

    event = request.json.get('event')
    data = request.json.get('data', {})

    if event == 'agent.status':
        agent_id = data.get('agent_id')
        new_status = data.get('new_status')
        print(f"Agent {agent_id} status: {new_status}")
    elif event == 'deployment.failed':
        deployment_id = data.get('deployment_id')
        error = data.get('error')
        print(f"Deployment {deployment_id} failed: {error}")
        # Trigger alerting, rollback, etc.

    # harness: report the accepted delivery.
    print(json.dumps({
        'received': request.json.get('id'),
        'event': event,
        'webhook_id': request.headers.get('webhook-id'),
    }), flush=True)
    return jsonify({'received': True}), 200


if __name__ == '__main__':
    # harness: was app.run(port=3000); bind 127.0.0.1 on env PORT (0 = ephemeral)
    # and report the bound port.
    from werkzeug.serving import make_server

    server = make_server('127.0.0.1', int(os.environ.get('PORT', '3000')), app, threaded=True)
    print(json.dumps({'listening': server.server_port}), flush=True)
    server.serve_forever()
