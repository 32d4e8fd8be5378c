"""Server enrolment: install tokens, the install script and agent bundle, register/refresh/recover, revoke."""
