"""Reaching out to patients: sending texts and placing calls under the sending rules, the
anchor-cycle scheduler, campaigns and who to invite first, and the worker that runs them."""
