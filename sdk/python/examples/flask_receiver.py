"""A Flask receiver of Herald's webhooks, verifying each delivery.

    pip install flask herald-sdk
    WEBHOOK_SECRET=whsec_... python flask_receiver.py    # listens on :3000

Register http://127.0.0.1:3000/webhooks/herald as the webhook's URL (with
``herald serve --allow-http --allow-private-targets`` for a local test).
"""

import os

from flask import Flask, jsonify, request

import herald

app = Flask(__name__)
app.config["WEBHOOK_SECRET"] = os.environ.get("WEBHOOK_SECRET", "your-webhook-secret")


@app.route("/webhooks/herald", methods=["POST"])
def handle_webhook():
    try:
        # The exact bytes Herald signed: request.get_data(), never
        # json.dumps(request.json).
        payload = herald.webhooks.verify(request.get_data(), request.headers, app.config["WEBHOOK_SECRET"])
    except herald.SignatureError as err:
        return jsonify({"error": f"invalid signature: {err.reason}"}), 401

    event = payload["event"]
    data = payload.get("data", {})
    if event == "agent.status":
        print(f"Agent {data.get('agent_id')} status: {data.get('new_status')}")
    elif event == "deployment.failed":
        print(f"Deployment {data.get('deployment_id')} failed: {data.get('error')}")
    # Deliveries may be retried: deduplicate on payload["id"] (the webhook-id header).
    return jsonify({"received": True}), 200


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "3000")))
