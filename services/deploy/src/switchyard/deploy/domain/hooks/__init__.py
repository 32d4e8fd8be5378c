"""Deploy hooks: secret URLs that deploy one environment of an app without a user session."""
