"""Transport-free agents logic: enrolment, credentials, commands."""
