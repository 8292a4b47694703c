"""Files an operator deploys the service with, rendered from the settings so they cannot drift
from what the app servers enforce (``adda-dashboard deploy ...``)."""
