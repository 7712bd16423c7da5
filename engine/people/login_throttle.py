"""Sign-in throttling: failed passwords counted per account typed and per client address.

Stored in the database (`login_throttle`), so it holds across several processes. Two counters
per attempt: the email typed (normalised, whether or not such an account exists) and the
client's address (an IPv6 address counts for its /64 network, which one client holds whole).
Each follows its `Policy`:

- the first `free_failures` failures cost nothing (typing mistakes);
- each further failure imposes a delay before the next attempt, doubled every time;
- every `lock_after`-th failure locks for `lock_duration`; an account's owner is told by email;
- the count is forgotten after `forget_after` without a failure; a successful sign-in resets
  the account's counter (not the address's: one's own account must not open another's door).

An attempt made before the delay has passed is refused without checking the password, and is
not counted. An unknown email is treated exactly as an existing one (same answers, same delays),
except that nobody is emailed. The caller owns the transaction: every write of an attempt is in
the request's.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from engine import jobs
from engine.core import audit, dialect
from engine.core.actor import SYSTEM
from engine.core.clock import french_moment, utcnow
from engine.core.models import LoginThrottle, User
from engine.emails import notifications
from engine.people.accounts import authenticate, find_user_by_email


@dataclass(frozen=True)
class Policy:
    kind: str
    # Failures answered without any delay.
    free_failures: int
    # The delay after the first failure past the free ones; doubled at each further failure.
    first_delay: timedelta
    max_delay: timedelta
    # Every `lock_after`-th failure (10th, 20th…) locks for `lock_duration` instead.
    lock_after: int
    lock_duration: timedelta
    forget_after: timedelta

    def wait_after(self, failures: int) -> tuple[timedelta, bool]:
        """The wait imposed after the `failures`-th failure, and whether it is a lock."""
        if failures % self.lock_after == 0:
            return self.lock_duration, True
        if failures <= self.free_failures:
            return timedelta(0), False
        doublings = min(failures - self.free_failures - 1, 30)
        return min(self.first_delay * 2**doublings, self.max_delay), False


# Per account: 5 free failures, then 2 s, 4 s, 8 s, 16 s, and the 10th locks for 15 minutes
# (its owner is emailed); after that 64 s, 128 s… up to 5 minutes, a lock every 10 failures.
ACCOUNT = Policy(
    kind="compte",
    free_failures=5,
    first_delay=timedelta(seconds=2),
    max_delay=timedelta(minutes=5),
    lock_after=10,
    lock_duration=timedelta(minutes=15),
    forget_after=timedelta(hours=24),
)
# Per address, higher (several people behind one office's address; one person trying several
# accounts): 20 free failures, then the same growing delay, a 15-minute block every 50.
ADDRESS = Policy(
    kind="adresse",
    free_failures=20,
    first_delay=timedelta(seconds=2),
    max_delay=timedelta(minutes=5),
    lock_after=50,
    lock_duration=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)
# Requests for a password reset link ("Mot de passe oublié ?"), counted apart from sign-ins and
# every one of them (a request is never a success): per address typed, 3 free in an hour, then
# 1 minute, 2, 4… up to 15, an hour's block every 10th; per client address, 10 free.
RESET_ACCOUNT = Policy(
    kind="reinit-compte",
    free_failures=3,
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(minutes=15),
    lock_after=10,
    lock_duration=timedelta(hours=1),
    forget_after=timedelta(hours=1),
)
RESET_ADDRESS = Policy(
    kind="reinit-adresse",
    free_failures=10,
    first_delay=timedelta(seconds=30),
    max_delay=timedelta(minutes=15),
    lock_after=50,
    lock_duration=timedelta(hours=1),
    forget_after=timedelta(hours=1),
)
# Wrong two-factor codes (after the right password), per account: 3 free, then 2 s, 4 s… up to
# 5 minutes, and the 10th locks the second step for 15 minutes.
CODE = Policy(
    kind="code",
    free_failures=3,
    first_delay=timedelta(seconds=2),
    max_delay=timedelta(minutes=5),
    lock_after=10,
    lock_duration=timedelta(minutes=15),
    forget_after=timedelta(hours=24),
)
# Rows untouched for this long are deleted (at each successful sign-in).
KEEP_ROWS = max(ACCOUNT.forget_after, ADDRESS.forget_after)


@dataclass(frozen=True)
class SignIn:
    """What became of an attempt."""

    user: User | None
    # The attempt was refused before the password was checked (HTTP 429).
    refused: bool = False
    # No attempt for this account or address is checked before then (None: no wait).
    retry_at: datetime | None = None
    # What the attempt just locked: ACCOUNT.kind, ADDRESS.kind (the page says so).
    locks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Counter:
    policy: Policy
    key: str


def normalise_email(typed: str) -> str:
    return typed.strip().lower()


def normalise_address(remote_addr: str | None) -> str:
    """The client's address; an IPv6 one as its /64 network (one client has all of it)."""
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return (remote_addr or "inconnue")[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def sign_in(session: Session, email: str, password: str, remote_addr: str | None) -> SignIn:
    """Check the password unless the account or the address must wait; count the outcome."""
    now = utcnow()
    email = normalise_email(email)
    counters = _counters(email, normalise_address(remote_addr))
    rows = _locked_rows(session, counters, now)
    blocked = [
        row.blocked_until
        for row in rows.values()
        if row.blocked_until is not None and row.blocked_until > now
    ]
    if blocked:
        return SignIn(user=None, refused=True, retry_at=max(blocked))
    user = authenticate(session, email, password)
    if user is not None:
        _succeeded(session, counters, rows, now)
        return SignIn(user=user)
    return _failed(session, email, counters, rows, now)


def reset_request(session: Session, email: str, remote_addr: str | None) -> datetime | None:
    """A password reset asked for `email`: when the account typed or the address must wait,
    the time to come back (nothing is sent); otherwise None, and the request is counted. An
    unknown address is counted and answered exactly like an existing one."""
    now = utcnow()
    counters = sorted(
        [
            _Counter(RESET_ACCOUNT, _key(RESET_ACCOUNT, normalise_email(email))),
            _Counter(RESET_ADDRESS, _key(RESET_ADDRESS, normalise_address(remote_addr))),
        ],
        key=lambda counter: counter.key,
    )
    rows = _locked_rows(session, counters, now)
    blocked = [
        row.blocked_until
        for row in rows.values()
        if row.blocked_until is not None and row.blocked_until > now
    ]
    if blocked:
        return max(blocked)
    for counter in counters:
        _count(rows[counter.key], counter.policy, now)
    session.flush()
    return None


def code_wait(session: Session, user_id: int) -> datetime | None:
    """Before a two-factor code is checked: the time to come back if the account must wait
    (the code is then not checked). Locks the account's row until the commit."""
    now = utcnow()
    row = _code_row(session, user_id, now)
    return row.blocked_until if row.blocked_until and row.blocked_until > now else None


def code_failed(session: Session, user_id: int) -> datetime | None:
    """A wrong (or replayed) code: counted; the time before the next one is checked, if any."""
    now = utcnow()
    wait, _lock = _count(_code_row(session, user_id, now), CODE, now)
    session.flush()
    return now + wait if wait else None


def code_succeeded(session: Session, user_id: int) -> None:
    session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.key == _key(CODE, str(user_id)))
        .execution_options(synchronize_session=False)
    )


def _code_row(session: Session, user_id: int, now: datetime) -> LoginThrottle:
    counter = _Counter(CODE, _key(CODE, str(user_id)))
    return _locked_rows(session, [counter], now)[counter.key]


def _count(row: LoginThrottle, policy: Policy, now: datetime) -> tuple[timedelta, bool]:
    """One more failure (or request) on the row; the wait it imposes, and whether it locks."""
    if row.last_failure_at is None or row.last_failure_at <= now - policy.forget_after:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    row.updated_at = now
    wait, lock = policy.wait_after(row.failures)
    row.blocked_until = now + wait if wait else None
    return wait, lock


def _counters(email: str, address: str) -> list[_Counter]:
    found = [
        _Counter(ACCOUNT, _key(ACCOUNT, email)),
        _Counter(ADDRESS, _key(ADDRESS, address)),
    ]
    return sorted(found, key=lambda counter: counter.key)  # one lock order: no deadlock


def _key(policy: Policy, value: str) -> str:
    return hashlib.sha256(f"{policy.kind}:{value}".encode("utf-8", "surrogatepass")).hexdigest()


def _locked_rows(
    session: Session, counters: list[_Counter], now: datetime
) -> dict[str, LoginThrottle]:
    """The attempt's rows, created when absent, locked until the commit (PostgreSQL: FOR UPDATE;
    SQLite: this INSERT takes the database's write lock, held until the commit). Concurrent
    attempts on one account or address thus take turns: none slips through while another is
    being counted."""
    dialect.insert_or_ignore(
        session,
        LoginThrottle,
        [
            {"key": counter.key, "kind": counter.policy.kind, "failures": 0, "updated_at": now}
            for counter in counters
        ],
        key=[LoginThrottle.key],
    )
    rows = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key.in_([counter.key for counter in counters]))
        .order_by(LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in rows}


def _succeeded(
    session: Session, counters: list[_Counter], rows: dict[str, LoginThrottle], now: datetime
) -> None:
    for counter in counters:
        if counter.policy is ACCOUNT and counter.key in rows:
            session.delete(rows[counter.key])
    session.execute(
        delete(LoginThrottle)
        .where(
            LoginThrottle.updated_at <= now - KEEP_ROWS,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()


def _failed(
    session: Session,
    email: str,
    counters: list[_Counter],
    rows: dict[str, LoginThrottle],
    now: datetime,
) -> SignIn:
    retry_at: datetime | None = None
    locks: set[str] = set()
    for counter in counters:
        row = rows[counter.key]
        policy = counter.policy
        wait, lock = _count(row, policy, now)
        if wait and (retry_at is None or now + wait > retry_at):
            retry_at = now + wait
        if lock:
            locks.add(policy.kind)
            if policy is ACCOUNT:
                _tell_owner(session, email, now + wait, row.failures)
    session.flush()
    return SignIn(user=None, retry_at=retry_at, locks=frozenset(locks))


def _tell_owner(session: Session, email: str, until: datetime, failures: int) -> None:
    """The owner of an existing, active account learns of the lock (nobody, otherwise)."""
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        return
    jobs.enqueue(session, [notifications.for_account_lock(session, user, until, failures)])
    audit.record(
        session,
        None,
        SYSTEM,
        "connexion",
        f"Connexions au compte {user.email} suspendues jusqu'au "
        f"{french_moment(until)} après {failures} mots de passe erronés.",
    )
