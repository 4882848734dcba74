"""What comes in from the pharmacy system: the export of patients and prescriptions, the
fills file, and the demo data."""
