"""A FastAPI receiver of Herald's webhooks, verifying each delivery.

    pip install fastapi uvicorn herald-sdk
    WEBHOOK_SECRET=whsec_... uvicorn fastapi_receiver:app --port 3000
"""

import os

from fastapi import FastAPI, HTTPException, Request

import herald

app = FastAPI()
WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", "your-webhook-secret")


@app.post("/webhooks/herald")
async def handle_webhook(request: Request):
    body = await request.body()  # the exact bytes Herald signed
    try:
        payload = herald.webhooks.verify(body, request.headers, WEBHOOK_SECRET)
    except herald.SignatureError as err:
        raise HTTPException(status_code=401, detail=f"invalid signature: {err.reason}")

    if payload["event"] == "deployment.failed":
        data = payload.get("data", {})
        print(f"Deployment {data.get('deployment_id')} failed: {data.get('error')}")
    return {"received": True}
