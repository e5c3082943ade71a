"""pyhandler is a test function using handler.py's default handler name."""


def handler(event, context):
    return {"handler": "handler.handler", "event": event}
