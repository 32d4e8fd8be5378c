"""Workers ORM models, one per file, re-exported here."""

from switchyard.workers.db.models._activity import Activity
from switchyard.workers.db.models._credential import Credential
from switchyard.workers.db.models._outbox import outbox
from switchyard.workers.db.models._recovery_packet import RecoveryPacket
from switchyard.workers.db.models._routing_decision import RoutingDecision
from switchyard.workers.db.models._routing_observation import RoutingObservation
from switchyard.workers.db.models._routing_posterior import RoutingPosterior
from switchyard.workers.db.models._session import Session
from switchyard.workers.db.models._signing_key import SigningKey
from switchyard.workers.db.models._worker import Worker

__all__ = [
    "Activity",
    "Credential",
    "RecoveryPacket",
    "RoutingDecision",
    "RoutingObservation",
    "RoutingPosterior",
    "Session",
    "SigningKey",
    "Worker",
    "outbox",
]
