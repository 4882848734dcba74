"""Calls: the same dialogs over the phone (desk.py answers Twilio's requests; one module per
step of a call: answering, gathering, transferring, recording)."""
