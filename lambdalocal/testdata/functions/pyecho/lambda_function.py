"""pyecho is a test function: it returns its event, and raises on request."""
import os


class EchoError(Exception):
    pass


def lambda_handler(event, context):
    print("pyecho got", event)
    if event.get("fail"):
        raise EchoError(event["fail"])
    if "crash" in event:
        os._exit(event["crash"])
    return {
        "event": event,
        "requestId": context.aws_request_id,
        "functionName": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "region": os.environ.get("AWS_REGION"),
    }
