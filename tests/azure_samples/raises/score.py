# A run() that raises on a body without "data": azmlinfsrv answers 500 with its own message.
import json


def init():
    print("raises: ready")


def run(raw_data):
    return {"rows": len(json.loads(raw_data)["data"])}
