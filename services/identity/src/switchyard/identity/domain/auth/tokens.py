"""Issuing a stored token pair: the one place refresh rows are created."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from switchyard.identity.domain.tokens import repository as token_repo
from switchyard.identity.domain.tokens.issuer import IssuedToken, TokenIssuer
from switchyard.identity.domain.users.models import TokenPair


async def issue_pair(
    session: AsyncSession,
    tokens: TokenIssuer,
    *,
    user_id: uuid.UUID,
    now: datetime,
    family_id: uuid.UUID | None = None,
) -> tuple[TokenPair, IssuedToken]:
    """Sign an access and a refresh token and record the refresh row (new family unless given)."""
    family = family_id or uuid.uuid4()
    access = tokens.issue_access(user_id=user_id)
    refresh = tokens.issue_refresh(user_id=user_id, family_id=family)
    await token_repo.add_refresh(session, issued=refresh, user_id=user_id, family_id=family, now=now)
    pair = TokenPair(
        access_token=access.token,
        refresh_token=refresh.token,
        access_token_expires_at=access.expires_at,
        refresh_token_expires_at=refresh.expires_at,
    )
    return pair, refresh
