"""Administration commands (run by operations staff, not through the API):

- `load-reference-data FILE.json` adds or updates countries, chapters, sections, activity types,
  authorities (with the border posts they run) and organic control bodies / other entities;
- `add-administrator` makes a user the administrator of an authority (its first administrator
  cannot be approved by anyone else) or of any other organization.

Each runs in one transaction and is written to the audit trail as done by the registry itself.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import ConflictError, NotFoundError
from gatehouse_registry.events import emit

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CountryIn(_Strict):
    code: CountryCode
    name_en: Name
    name_sv: Name
    eu_member: bool = False
    eea_member: bool = False


class ChapterIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    name_en: Name
    name_sv: Name
    sort_order: int = 100


class SectionIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9 _-]{0,39}$")]
    chapter_code: str | None
    name_en: Name
    name_sv: Name


class ActivityTypeIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9 _-]{0,59}$")]
    section_code: str
    name_en: Name
    name_sv: Name


class AuthorityIn(_Strict):
    code: Annotated[str, StringConstraints(min_length=2, max_length=40)]
    name: Name
    country_code: CountryCode
    authority_kind: Literal["central", "local", "border_control_post"]
    parent_code: str | None = None
    chapters: list[str] = Field(default_factory=list)


class OrganizationIn(_Strict):
    code: Annotated[str, StringConstraints(min_length=2, max_length=40)]
    kind: Literal["organic_control_body", "other_entity"]
    name: Name
    country_code: CountryCode
    competent_authority_code: str


class ReferenceData(_Strict):
    countries: list[CountryIn] = Field(default_factory=list)
    chapters: list[ChapterIn] = Field(default_factory=list)
    sections: list[SectionIn] = Field(default_factory=list)
    activity_types: list[ActivityTypeIn] = Field(default_factory=list)
    # In order: a border post's parent must come before it (or exist already).
    authorities: list[AuthorityIn] = Field(default_factory=list)
    organizations: list[OrganizationIn] = Field(default_factory=list)


async def _id_of(connection: Connection, code: str, *, kind: str) -> uuid.UUID:
    found: uuid.UUID | None = await connection.fetchval(
        "SELECT id FROM organizations WHERE code = $1 AND kind = $2", code, kind
    )
    if found is None:
        raise NotFoundError(f"no {kind} with code {code!r}")
    return found


async def load_reference_data(pool: asyncpg.Pool, data: ReferenceData) -> dict[str, int]:
    """Upsert everything in `data` (by code); returns how many entries of each kind."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany(
            """INSERT INTO countries (code, name_en, name_sv, eu_member, eea_member)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (code) DO UPDATE SET name_en = EXCLUDED.name_en,
                   name_sv = EXCLUDED.name_sv, eu_member = EXCLUDED.eu_member,
                   eea_member = EXCLUDED.eea_member""",
            [(c.code, c.name_en, c.name_sv, c.eu_member, c.eea_member) for c in data.countries],
        )
        await connection.executemany(
            """INSERT INTO chapters (code, name_en, name_sv, sort_order) VALUES ($1, $2, $3, $4)
               ON CONFLICT (code) DO UPDATE SET name_en = EXCLUDED.name_en,
                   name_sv = EXCLUDED.name_sv, sort_order = EXCLUDED.sort_order""",
            [(c.code, c.name_en, c.name_sv, c.sort_order) for c in data.chapters],
        )
        await connection.executemany(
            """INSERT INTO sections (code, chapter_code, name_en, name_sv) VALUES ($1, $2, $3, $4)
               ON CONFLICT (code) DO UPDATE SET chapter_code = EXCLUDED.chapter_code,
                   name_en = EXCLUDED.name_en, name_sv = EXCLUDED.name_sv""",
            [(s.code, s.chapter_code, s.name_en, s.name_sv) for s in data.sections],
        )
        await connection.executemany(
            """INSERT INTO activity_types (code, section_code, name_en, name_sv)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (code) DO UPDATE SET name_en = EXCLUDED.name_en,
                   name_sv = EXCLUDED.name_sv""",
            [(t.code, t.section_code, t.name_en, t.name_sv) for t in data.activity_types],
        )
        for authority in data.authorities:
            await _upsert_authority(connection, authority)
        for organization in data.organizations:
            competent = await _id_of(
                connection, organization.competent_authority_code, kind="authority"
            )
            await connection.execute(
                """INSERT INTO organizations (id, kind, name, country_code, status, code,
                                              competent_authority_id)
                   VALUES ($1, $2, $3, $4, 'valid', $5, $6)
                   ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
                       country_code = EXCLUDED.country_code,
                       competent_authority_id = EXCLUDED.competent_authority_id""",
                uuid.uuid4(),
                organization.kind,
                organization.name,
                organization.country_code,
                organization.code,
                competent,
            )
    return {
        "countries": len(data.countries),
        "chapters": len(data.chapters),
        "sections": len(data.sections),
        "activity_types": len(data.activity_types),
        "authorities": len(data.authorities),
        "organizations": len(data.organizations),
    }


async def _upsert_authority(connection: Connection, authority: AuthorityIn) -> None:
    parent = (
        await _id_of(connection, authority.parent_code, kind="authority")
        if authority.parent_code
        else None
    )
    authority_id: uuid.UUID = await connection.fetchval(
        """INSERT INTO organizations (id, kind, name, country_code, status, code, authority_kind,
                                      parent_authority_id)
           VALUES ($1, 'authority', $2, $3, 'valid', $4, $5, $6)
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
               country_code = EXCLUDED.country_code, authority_kind = EXCLUDED.authority_kind,
               parent_authority_id = EXCLUDED.parent_authority_id
           RETURNING id""",
        uuid.uuid4(),
        authority.name,
        authority.country_code,
        authority.code,
        authority.authority_kind,
        parent,
    )
    await connection.execute(
        "DELETE FROM organization_chapters WHERE organization_id = $1", authority_id
    )
    await connection.executemany(
        "INSERT INTO organization_chapters (organization_id, chapter_code) VALUES ($1, $2)",
        [(authority_id, chapter) for chapter in authority.chapters],
    )


async def add_administrator(
    pool: asyncpg.Pool,
    *,
    organization_code: str,
    user_id: uuid.UUID,
    full_name: str,
    email: str,
) -> uuid.UUID:
    """Make the user an approved administrator of the organization with that code (e.g. the first
    administrator of an authority); returns the role id. The user need not have signed in yet."""
    async with pool.acquire() as connection, connection.transaction():
        organization = await connection.fetchrow(
            "SELECT id, competent_authority_id FROM organizations WHERE code = $1 FOR UPDATE",
            organization_code,
        )
        if organization is None:
            raise NotFoundError(f"no organization with code {organization_code!r}")
        await connection.execute(
            """INSERT INTO users (id, full_name, email, last_sign_in_at, last_seen_at)
               VALUES ($1, $2, $3, now(), now())
               ON CONFLICT (id) DO NOTHING""",
            user_id,
            full_name,
            email,
        )
        role_id = uuid.uuid4()
        existing = await connection.fetchrow(
            """SELECT id, status FROM roles WHERE user_id = $1 AND organization_id = $2
                  AND kind = 'member' AND status IN ('pending', 'approved') FOR UPDATE""",
            user_id,
            organization["id"],
        )
        if existing is not None and existing["status"] == "approved":
            raise ConflictError("already a user of the organization; make them administrator there")
        if existing is not None:
            role_id = existing["id"]
            await connection.execute(
                """UPDATE roles SET status = 'approved', is_admin = true, decided_at = now(),
                                    decision_reason = 'administration command'
                    WHERE id = $1""",
                role_id,
            )
        else:
            await connection.execute(
                """INSERT INTO roles (id, user_id, organization_id, kind, status, is_admin,
                                      decided_at, decision_reason)
                   VALUES ($1, $2, $3, 'member', 'approved', true, now(),
                           'administration command')""",
                role_id,
                user_id,
                organization["id"],
            )
        await emit(
            connection,
            "registry.role_request.approved",
            subject=role_id,
            message=events.RoleRequestApproved(
                role_request_id=str(role_id),
                user_id=str(user_id),
                organization_id=str(organization["id"]),
                became_administrator=True,
            ),
        )
        await audit.record(
            connection,
            actor=None,
            action="admin.granted",
            subject_type="role_request",
            subject_id=role_id,
            organization_id=organization["id"],
            scope=[organization["competent_authority_id"]],
            target_user_id=user_id,
            reason="administration command",
        )
    return role_id
