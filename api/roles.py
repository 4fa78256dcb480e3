"""The roles a token may carry; known to the command line without the HTTP stack."""

ROLES = ("caseworker", "supervisor", "auditor", "analyst", "assessor", "admin")
