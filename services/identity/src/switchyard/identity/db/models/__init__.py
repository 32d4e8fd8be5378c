"""Identity ORM models, one per file, re-exported here."""

from switchyard.identity.db.models._api_key import ApiKey
from switchyard.identity.db.models._email_token import EmailToken
from switchyard.identity.db.models._invitation import Invitation
from switchyard.identity.db.models._m2m_client import M2mClient
from switchyard.identity.db.models._membership import Membership
from switchyard.identity.db.models._message import Message
from switchyard.identity.db.models._org_key import OrgKey
from switchyard.identity.db.models._outbox import outbox
from switchyard.identity.db.models._refresh_token import RefreshToken
from switchyard.identity.db.models._revoked_access_token import RevokedAccessToken
from switchyard.identity.db.models._signing_key import SigningKey
from switchyard.identity.db.models._tenant import Tenant
from switchyard.identity.db.models._user import User

__all__ = [
    "ApiKey",
    "EmailToken",
    "Invitation",
    "M2mClient",
    "Membership",
    "Message",
    "OrgKey",
    "RefreshToken",
    "RevokedAccessToken",
    "SigningKey",
    "Tenant",
    "User",
    "outbox",
]
