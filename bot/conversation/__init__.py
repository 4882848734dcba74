"""The conversation runtime: where dialogs meet the store, for texts and for calls."""
