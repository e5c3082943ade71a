"""pyecho returns the event it was given, and says which function ran."""


def lambda_handler(event, context):
    print("pyecho received", event)
    return {"echo": event, "function": context.function_name}
