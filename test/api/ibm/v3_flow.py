"""The seed's flow through IBM's own v3 Python client (watson-machine-learning-client 1.0.391), unmodified.

Usage: v3_flow.py URL API_KEY MODEL_H5 INPUT_JSON RESULT_JSON

Stores the Keras model as WML users did (a tar.gz of the .h5), lists it, deploys it online, scores the input,
deletes both. Every step is asserted and printed as `STEP <name> ok`; every HTTP request the client makes is
printed as `HTTP <method> <url> -> <status>` (a wrapper around requests' Session.send that only logs). The
scores go to RESULT_JSON for the caller to compare with `keras-batch predict`.
"""
import base64
import json
import os
import sys
import tarfile
import tempfile
import time

import requests

_send = requests.sessions.Session.send


def _logged_send(self, request, **kwargs):
    response = _send(self, request, **kwargs)
    print(f"HTTP {request.method} {request.url} -> {response.status_code}", flush=True)
    return response


requests.sessions.Session.send = _logged_send

from watson_machine_learning_client import WatsonMachineLearningAPIClient  # noqa: E402


def step(name, detail=""):
    print(f"STEP {name} ok {detail}".rstrip(), flush=True)


def main():
    url, api_key, model_h5, input_json, result_json = sys.argv[1:6]
    creds = {"url": url, "username": "seed-user", "password": api_key, "instance_id": "keras-batch"}

    client = WatsonMachineLearningAPIClient(creds)
    token = client.wml_token
    payload = json.loads(base64.b64decode(token.split(".")[1] + "=="))
    assert payload["exp"] > time.time() + 3600, payload
    step("authenticate", f"token exp in {int(payload['exp'] - time.time())} s")

    old = client.wml_token
    client.service_instance._refresh_token()
    assert client.wml_token and client.wml_token.count(".") == 2, client.wml_token
    step("refresh token", "PUT /v3/identity/token gave a new token" if client.wml_token != old else "same token")

    instance = client.service_instance.get_details()
    assert instance["entity"]["published_models"]["url"].startswith(url), instance
    step("instance details")

    work = tempfile.mkdtemp()
    archive = os.path.join(work, "mnist-cnn.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_h5, arcname=os.path.basename(model_h5))
    meta = {
        client.repository.ModelMetaNames.NAME: "seed mnist",
        client.repository.ModelMetaNames.FRAMEWORK_NAME: "tensorflow",
        client.repository.ModelMetaNames.FRAMEWORK_VERSION: "1.5",
        client.repository.ModelMetaNames.RUNTIME_NAME: "python",
        client.repository.ModelMetaNames.RUNTIME_VERSION: "3.5",
        client.repository.ModelMetaNames.FRAMEWORK_LIBRARIES: [{"name": "keras", "version": "2.1.3"}],
    }
    stored = client.repository.store_model(model=archive, meta_props=meta)
    model_uid = client.repository.get_model_uid(stored)
    assert stored["entity"]["name"] == "seed mnist", stored
    step("store model", model_uid)

    again = client.repository.store_model(model=archive, meta_props=meta)
    second_uid = client.repository.get_model_uid(again)
    assert second_uid != model_uid
    step("store model again (same name)", f"{second_uid} named {again['entity']['name']!r}")

    client.repository.list_models()
    listed = [m["metadata"]["guid"] for m in client.repository.get_model_details()["resources"]]
    assert model_uid in listed and second_uid in listed, listed
    step("list models", f"{len(listed)} models")

    deployment = client.deployments.create(model_uid, name="seed mnist online")
    deployment_uid = client.deployments.get_uid(deployment)
    assert deployment["entity"]["status"] == "DEPLOY_SUCCESS", deployment
    step("deploy online", deployment_uid)

    assert client.deployments.get_status(deployment_uid) == "DEPLOY_SUCCESS"
    step("deployment status", "DEPLOY_SUCCESS")

    client.deployments.list()
    deployments = [d["metadata"]["guid"] for d in client.deployments.get_details()["resources"]]
    assert deployment_uid in deployments, deployments
    step("list deployments", f"{len(deployments)} deployments")

    scoring_url = client.deployments.get_scoring_url(deployment)
    assert scoring_url.startswith(url), scoring_url
    with open(input_json) as f:
        record = json.load(f)
    scores = client.deployments.score(scoring_url, record)
    assert scores["fields"] == ["prediction", "prediction_classes", "probability"], scores
    step("score", f"class {scores['values'][0][1]}")

    assert client.deployments.delete(deployment_uid) == "SUCCESS"
    step("delete deployment")
    assert client.repository.delete(model_uid) == "SUCCESS"
    assert client.repository.delete(second_uid) == "SUCCESS"
    left = [m["metadata"]["guid"] for m in client.repository.get_model_details()["resources"]]
    assert model_uid not in left and second_uid not in left, left
    step("delete models")

    with open(result_json, "w") as f:
        json.dump({"model_uid": model_uid, "deployment_uid": deployment_uid, "scores": scores}, f)


if __name__ == "__main__":
    main()
