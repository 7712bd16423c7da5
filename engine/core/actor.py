"""Who acts: a plain snapshot of the signed-in user, passed to every engine function."""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.models import RoleName, User

# Who works on dossiers: the CNCP's reviewers and France compétences' director general.
REVIEWER_ROLES = frozenset(
    {RoleName.RECEVABILITE, RoleName.RAPPORTEUR, RoleName.COMMISSION, RoleName.DIRECTEUR_GENERAL}
)
STAFF_ROLES = REVIEWER_ROLES | {RoleName.ADMIN, RoleName.PROPRIETAIRE}


@dataclass(frozen=True)
class Actor:
    id: int | None
    email: str
    name: str
    organisation_id: int | None
    roles: frozenset[str]
    # The absent agents whose suppléant the actor is today (engine.core.substitutions).
    substitutes_for: frozenset[int] = frozenset()

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            organisation_id=user.organisation_id,
            roles=user.role_names,
        )

    @property
    def acting_ids(self) -> frozenset[int]:
        """Whose tasks the actor works on: their own, and those of the agents they stand in for."""
        own = frozenset({self.id}) if self.id is not None else frozenset()
        return own | self.substitutes_for

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def is_reviewer(self) -> bool:
        return bool(self.roles & REVIEWER_ROLES)


SYSTEM = Actor(id=None, email="", name="Système", organisation_id=None, roles=frozenset())
