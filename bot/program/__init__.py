"""The sync program over the store: plans, adherence, households, caregivers, preferences
and the pharmacy's own assessments."""
