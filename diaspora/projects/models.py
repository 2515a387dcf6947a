"""Community investment projects: a proposal for a place, its lifecycle as recorded events,
photos, budget lines, and the members who support it.

A project is written in one language (`language`), the one its author wrote in; pages mark it
when it is not the reader's. Its status changes only through the transition table in
service.py, and each change is a `ProjectEvent` row: who, when, what, the note, and the
language of the note — the timeline on the project page.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import false as sa_false
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from diaspora.extensions import db
from diaspora.models import StoredImage, UTCDateTime, utcnow
from diaspora.projects import search

# States (the lifecycle; service.TRANSITIONS says which action leads where, and who may).
DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
REJECTED = "rejected"
PUBLISHED = "published"
UNDER_REVIEW = "under_review"
ACCEPTED = "accepted"
DECLINED = "declined"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
WITHDRAWN = "withdrawn"
ARCHIVED = "archived"
# Out of sight while the moderators decide on reports (or because they decided so); restoring
# puts it back in the state it was hidden from.
HIDDEN = "hidden"
STATES = (DRAFT, SUBMITTED, RETURNED, REJECTED, PUBLISHED, UNDER_REVIEW, ACCEPTED, DECLINED,
          IN_PROGRESS, COMPLETED, WITHDRAWN, ARCHIVED, HIDDEN)
# States everyone can see: the project passed moderation.
PUBLIC_STATES = (PUBLISHED, UNDER_REVIEW, ACCEPTED, DECLINED, IN_PROGRESS, COMPLETED)
# States in which a project's progress is reported (updates, milestones, money).
PROGRESS_STATES = (ACCEPTED, IN_PROGRESS, COMPLETED)

MEMBER, AUTHORITY = "member", "authority"  # who proposed it

# What the diaspora could contribute.
CONTRIBUTIONS = ("money", "skills", "volunteering", "equipment", "mentoring", "connections")


def _in(states: tuple[str, ...]) -> str:
    """`status IN (...)` with the states written out: a partial index serves a query only
    when the planner can prove its predicate, which it cannot from bound parameters."""
    return "status IN (" + ", ".join(f"'{state}'" for state in states) + ")"


PUBLIC_SQL = _in(PUBLIC_STATES)
QUEUE_SQL = _in((PUBLISHED, UNDER_REVIEW))  # what an authority's queue lists
# A member's proposal that was published: what a place's answer statistics count.
ANSWERABLE_SQL = "origin = 'member' AND published_at IS NOT NULL"


def _partial(name: str, *columns: str, where: str) -> Index:
    return Index(name, *columns, postgresql_where=sa_text(where), sqlite_where=sa_text(where))


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_status_published", "status", "published_at"),
        Index("ix_projects_place_status", "place_id", "status"),
        # The public list, newest first and most supported first (pages deep into the list
        # walk these rather than sorting every public project).
        _partial("ix_projects_public_newest", "published_at", "id", where=PUBLIC_SQL),
        _partial("ix_projects_public_supported", "supporters", "id", where=PUBLIC_SQL),
        # The staff's queue (every place), oldest first.
        _partial("ix_projects_queue", "published_at", "id", where=QUEUE_SQL),
        # A place's answer statistics read only these (count, median) at each level.
        _partial("ix_projects_answers_region", "region_id", "answer_seconds",
                 where=ANSWERABLE_SQL),
        _partial("ix_projects_answers_district", "district_id", "answer_seconds",
                 where=ANSWERABLE_SQL),
        _partial("ix_projects_answers_place", "place_id", "answer_seconds",
                 where=ANSWERABLE_SQL),
        # Text search on PostgreSQL (see search.py; SQLite has its FTS5 table instead).
        Index("ix_projects_search", search.tsvector(sa_text("search_text")),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    # Denormalised from the place, so lists filter by region or district on one table.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), index=True)
    proposer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    origin: Mapped[str] = mapped_column(String(20), default=MEMBER)
    language: Mapped[str] = mapped_column(String(8), default="ky")
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, cleaned
    # The words of title and summary, cut and case-folded in Python (search.search_text_of):
    # what text search indexes, the same on both databases.
    search_text: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str | None] = mapped_column(String(30), index=True)
    budget_som: Mapped[int | None] = mapped_column(BigInteger)
    contributions: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    # What a moderator asked to change, shown to the proposer while RETURNED.
    status_note: Mapped[str | None] = mapped_column(Text)
    supporters: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The authority's first answer (under review, accepted or declined): answer statistics.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds from publication to that answer, so a place's median is one ordered query.
    answer_seconds: Mapped[int | None] = mapped_column(BigInteger)
    # Set by housekeeping when a published proposal waited 30 days for an answer.
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Progress, as its proposer or authority reports it (progress.set_money): money raised
    # and spent so far, in som; None until someone says.
    raised_som: Mapped[int | None] = mapped_column(BigInteger)
    spent_som: Mapped[int | None] = mapped_column(BigInteger)

    # The budget total as the lists read it in their one query (service.list_public), so a
    # card needs no budget lines; None where a query did not ask for it.
    listed_budget: Mapped[int | None] = query_expression()

    place = relationship("Place", foreign_keys=[place_id], lazy="joined")
    proposer = relationship("User", foreign_keys=[proposer_id], lazy="joined")
    budget_items: Mapped[list[ProjectBudgetItem]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectBudgetItem.position", lazy="selectin"
    )
    photos: Mapped[list[ProjectPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectPhoto.position", lazy="selectin"
    )
    events: Mapped[list[ProjectEvent]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectEvent.id", lazy="select"
    )

    @property
    def budget_total(self) -> int | None:
        """The sum of the breakdown when there is one, else the estimate."""
        if self.budget_items:
            return sum(item.amount_som for item in self.budget_items)
        return self.budget_som


class ProjectBudgetItem(db.Model):
    __tablename__ = "project_budget_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))
    amount_som: Mapped[int] = mapped_column(BigInteger)


class ProjectPhoto(StoredImage, db.Model):
    """A resized photo (type sniffed, EXIF and GPS stripped), kept in the database so every
    web host can serve it."""

    __tablename__ = "project_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProjectEvent(db.Model):
    """One step of a project's timeline: a status change (or a note) by someone."""

    __tablename__ = "project_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="joined")


class ProjectSupport(db.Model):
    """A member supports a project once (the primary key), with what they might give."""

    __tablename__ = "project_supports"
    __table_args__ = (
        # The names a project page shows (those who chose to be named, the earliest first):
        # read along this index, not out of a popular project's thousands of supports.
        _partial("ix_project_supports_named", "project_id", "created_at", where="show_name"),
    )

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # An intention, not a promise: a range of som (service.MONEY_RANGES), and what else.
    money_range: Mapped[str | None] = mapped_column(String(20))
    skills: Mapped[str | None] = mapped_column(String(200))
    volunteering: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    equipment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    show_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- progress: what happens once a project is accepted (progress.py) ---------------------------

MILESTONE_PLANNED, MILESTONE_DONE = "planned", "done"
MILESTONE_STATES = (MILESTONE_PLANNED, MILESTONE_DONE)


class ProjectUpdate(db.Model):
    """A progress report on an accepted project by its proposer or the authority of its
    place: Markdown rendered and cleaned once, with up to five photos."""

    __tablename__ = "project_updates"
    __table_args__ = (Index("ix_project_updates_project_created", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # The row of an erased member stays (anonymous): the update stays, its author nameless.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # In which part the author wrote it (lifecycle.PROPOSER or PLACE_AUTHORITY), as the page
    # says "the proposer" or "the local authority" even after the author's role changes.
    part: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)  # Markdown source
    body_html: Mapped[str] = mapped_column(Text)  # rendered once, cleaned
    language: Mapped[str] = mapped_column(String(8), default="ky")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", lazy="joined")
    photos: Mapped[list[ProjectUpdatePhoto]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectUpdatePhoto.position", lazy="selectin"
    )


class ProjectUpdatePhoto(StoredImage, db.Model):
    """A photo of an update, through the same pipeline as a project's photos."""

    __tablename__ = "project_update_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("project_updates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProjectMilestone(db.Model):
    """A step the project plans (optionally by a date), marked done when it is."""

    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    planned_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=MILESTONE_PLANNED)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Comments and questions on a project (diaspora/projects/comments.py).
COMMENT, QUESTION = "comment", "question"
COMMENT_KINDS = (COMMENT, QUESTION)


class ProjectComment(db.Model):
    """A comment or a question on a public project, or an answer to one (`parent_id`, one
    level deep). `official`: written by the proposer or by a verified authority of the
    project's place when it was written. Deleting (its author) or erasing the author's data
    empties `body` and sets `deleted_at`; hiding (a moderator) keeps the text for the
    moderators and shows everyone else a placeholder."""

    __tablename__ = "project_comments"
    __table_args__ = (
        # A page of a project's threads, newest first; the answers of those threads.
        Index("ix_project_comments_thread", "project_id", "parent_id", "created_at"),
        # The rate limit counts a member's recent comments.
        Index("ix_project_comments_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_comments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=COMMENT)
    body: Mapped[str] = mapped_column(Text, default="")  # plain text, escaped when shown
    language: Mapped[str] = mapped_column(String(8), default="ky")
    official: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Joined (with the author's profile, itself joined): a page of comments names its
    # authors without a query per comment.
    author = relationship("User", foreign_keys=[author_id], lazy="joined")


search.attach_sqlite_ddl(Project.__table__)
