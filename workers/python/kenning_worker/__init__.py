"""Framework side of swift-kenning's workers: a Kenning-protocol server around one ML framework.

Run as `python -m kenning_worker --port P --framework F`; see server.py for the request flow."""
