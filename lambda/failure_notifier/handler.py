"""PLACEHOLDER written by the compute engineer (H2) so terraform can package and plan; H5 replaces it."""


def handler(event, context):
    raise NotImplementedError("lambda/failure_notifier/handler.py is a packaging placeholder")
