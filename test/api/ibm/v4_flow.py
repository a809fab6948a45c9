"""The seed's flow through IBM's own v4 Python client (ibm-watson-machine-learning 1.0.370), unmodified.

Usage: v4_flow.py URL API_KEY MODEL_H5 INPUT_JSON S3_JSON ZIP_DIR RESULT_JSON

S3_JSON: {"endpoint", "access_key", "secret_key", "bucket", "input_prefix", "output_prefix"}: a bucket holding
the seed's JSON files under input_prefix (on the test's S3 server). ZIP_DIR: a local folder holding `inputs.zip`
(a zip of the seed's JSON files); the job's outputs go to ZIP_DIR/out.

Stores the Keras model as WML users did (a tar.gz of the .h5), lists it, deploys it online, scores the input,
deploys it for batch and runs a deployment job from the S3 bucket and one from the zip, then deletes all.
Every step is asserted and printed as `STEP <name> ok`; every HTTP request the client makes is printed as
`HTTP <method> <url> -> <status>` (a wrapper around requests' Session.send that only logs). The scores go to
RESULT_JSON for the caller to compare with `keras-batch predict` and `keras-batch score`.
"""
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

from ibm_watson_machine_learning import APIClient  # noqa: E402


def step(name, detail=""):
    print(f"STEP {name} ok {detail}".rstrip(), flush=True)


def wait_job(client, job_id, seen):
    deadline = time.time() + 240
    while time.time() < deadline:
        state = client.deployments.get_job_status(job_id)["state"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ("completed", "failed", "canceled"):
            return state
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish: {seen}")


def main():
    url, api_key, model_h5, input_json, s3_json, zip_dir, result_json = sys.argv[1:8]
    s3 = json.load(open(s3_json))
    creds = {"url": url, "username": "seed-user", "apikey": api_key, "instance_id": "openshift", "version": "4.8"}

    client = APIClient(creds)
    assert client.wml_token and client.wml_token.count(".") == 2, client.wml_token
    step("authenticate", "POST /icp4d-api/v1/authorize gave a token")

    spaces = client.spaces.get_details()["resources"]
    assert len(spaces) == 1, spaces
    space_id = spaces[0]["metadata"]["id"]
    assert client.set.default_space(space_id) == "SUCCESS"
    step("set default space", space_id)

    sw_spec = client.software_specifications.get_id_by_name("tensorflow_rt22.1-py3.9")
    assert sw_spec and sw_spec != "Not Found", sw_spec
    step("software specification", sw_spec)

    work = tempfile.mkdtemp()
    archive = os.path.join(work, "mnist-cnn.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_h5, arcname=os.path.basename(model_h5))
    meta = {
        client.repository.ModelMetaNames.NAME: "seed mnist v4",
        client.repository.ModelMetaNames.TYPE: "tensorflow_2.7",
        client.repository.ModelMetaNames.SOFTWARE_SPEC_UID: sw_spec,
    }
    stored = client.repository.store_model(model=archive, meta_props=meta)
    model_id = client.repository.get_model_id(stored)
    assert stored["metadata"]["name"] == "seed mnist v4", stored
    step("store model", model_id)

    models = client.repository.get_model_details()["resources"]
    assert model_id in [m["metadata"]["id"] for m in models], models
    client.repository.list_models()
    step("list models", f"{len(models)} models")

    online = client.deployments.create(
        model_id,
        meta_props={
            client.deployments.ConfigurationMetaNames.NAME: "seed mnist online",
            client.deployments.ConfigurationMetaNames.ONLINE: {},
        },
    )
    online_id = client.deployments.get_id(online)
    assert online["entity"]["status"]["state"] == "ready", online
    step("deploy online", online_id)

    with open(input_json) as f:
        record = json.load(f)
    scores = client.deployments.score(online_id, {"input_data": [{"values": record["values"]}]})
    prediction = scores["predictions"][0]
    assert prediction["fields"] == ["prediction", "prediction_classes", "probability"], scores
    step("score", f"class {prediction['values'][0][1]}")

    batch = client.deployments.create(
        model_id,
        meta_props={
            client.deployments.ConfigurationMetaNames.NAME: "seed mnist batch",
            client.deployments.ConfigurationMetaNames.BATCH: {},
            client.deployments.ConfigurationMetaNames.HARDWARE_SPEC: {"name": "S", "num_nodes": 1},
        },
    )
    batch_id = client.deployments.get_id(batch)
    assert batch["entity"]["status"]["state"] == "ready", batch
    listed = [d["metadata"]["id"] for d in client.deployments.get_details()["resources"]]
    assert online_id in listed and batch_id in listed, listed
    client.deployments.list()
    step("deploy batch", batch_id)

    connection = {
        "endpoint_url": s3["endpoint"],
        "access_key_id": s3["access_key"],
        "secret_access_key": s3["secret_key"],
    }
    S = client.deployments.ScoringMetaNames
    job = client.deployments.create_job(
        batch_id,
        meta_props={
            S.INPUT_DATA_REFERENCES: [
                {"type": "s3", "connection": connection,
                 "location": {"bucket": s3["bucket"], "path": s3["input_prefix"]}}
            ],
            S.OUTPUT_DATA_REFERENCE: {
                "type": "s3", "connection": connection,
                "location": {"bucket": s3["bucket"], "path": s3["output_prefix"]},
            },
        },
    )
    s3_job = client.deployments.get_job_uid(job)
    s3_states = [job["entity"]["scoring"]["status"]["state"]]
    assert s3_states[0] == "queued", job
    assert wait_job(client, s3_job, s3_states) == "completed", s3_states
    details = client.deployments.get_job_details(s3_job)
    shown = json.dumps(details)
    assert s3["secret_key"] not in shown and s3["access_key"] not in shown, shown
    step("deployment job from S3", f"{s3_job}: {' -> '.join(s3_states)}")

    zip_job = client.deployments.create_job(
        batch_id,
        meta_props={
            S.INPUT_DATA_REFERENCES: [
                {"type": "fs", "location": {"path": os.path.join(zip_dir, "inputs.zip")}}
            ],
            S.OUTPUT_DATA_REFERENCE: {"type": "fs", "location": {"path": os.path.join(zip_dir, "out")}},
        },
    )
    zip_job_id = client.deployments.get_job_uid(zip_job)
    zip_states = [zip_job["entity"]["scoring"]["status"]["state"]]
    assert wait_job(client, zip_job_id, zip_states) == "completed", zip_states
    step("deployment job from a zip of JSON files", f"{zip_job_id}: {' -> '.join(zip_states)}")

    inline = client.deployments.create_job(
        batch_id, meta_props={S.INPUT_DATA: [{"values": record["values"]}]}
    )
    inline_id = client.deployments.get_job_uid(inline)
    inline_states = [inline["entity"]["scoring"]["status"]["state"]]
    assert wait_job(client, inline_id, inline_states) == "completed", inline_states
    inline_predictions = client.deployments.get_job_details(inline_id)["entity"]["scoring"]["predictions"]
    assert inline_predictions[0]["values"] == prediction["values"], inline_predictions
    step("deployment job with inline input_data", f"{inline_id}: predictions in the job record")

    jobs = client.deployments.get_job_details()["resources"]
    ids = [j["metadata"]["id"] for j in jobs]
    assert s3_job in ids and zip_job_id in ids and inline_id in ids, ids
    client.deployments.list_jobs()
    step("list jobs", f"{len(ids)} jobs")

    for j in (s3_job, zip_job_id, inline_id):
        assert client.deployments.delete_job(j, hard_delete=True) == "SUCCESS"
    left = [j["metadata"]["id"] for j in client.deployments.get_job_details()["resources"]]
    assert not set(left) & {s3_job, zip_job_id, inline_id}, left
    step("delete jobs")

    assert client.deployments.delete(online_id) == "SUCCESS"
    assert client.deployments.delete(batch_id) == "SUCCESS"
    left = [d["metadata"]["id"] for d in client.deployments.get_details()["resources"]]
    assert online_id not in left and batch_id not in left, left
    step("delete deployments")

    assert client.repository.delete(model_id) == "SUCCESS"
    left = [m["metadata"]["id"] for m in client.repository.get_model_details()["resources"]]
    assert model_id not in left, left
    step("delete model")

    with open(result_json, "w") as f:
        json.dump({"model_id": model_id, "scores": prediction}, f)


if __name__ == "__main__":
    main()
