"""The web application: the app factory, the JSON API and the web side of outreach."""
