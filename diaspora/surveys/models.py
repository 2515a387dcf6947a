"""Surveys: questions, options and answers are data.

A survey's questions and options are rows; a member's response is one `SurveyResponse` with
one `SurveyAnswer` row per answered question (one per chosen option for multiple choice), so
results are SQL `GROUP BY`s over answers, never answers loaded into Python.

Who answered and what they answered are kept apart: `SurveyParticipation` (survey, member)
is what makes one response per member a database constraint, and for an anonymous survey
the response itself carries no member at all. Each response keeps a copy of the few facts
results are filtered by (country of residence, home region, return plan) as they were when
it was submitted, so filters need no join to profiles and a later profile change or an
erased account does not rewrite results.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.delivery.audience import EVERYONE, AudienceColumns, AudienceLinks
from diaspora.extensions import db
from diaspora.models import UTCDateTime, utcnow

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
SURVEY_STATES = (DRAFT, OPEN, CLOSED)

# Question kinds. A scale answer is a whole number 1..5 kept in `number_value`.
SINGLE, MULTIPLE, SCALE, NUMBER, SHORT_TEXT, LONG_TEXT, PLACE, COUNTRY = (
    "single", "multiple", "scale", "number", "short_text", "long_text", "place", "country",
)
QUESTION_KINDS = (SINGLE, MULTIPLE, SCALE, NUMBER, SHORT_TEXT, LONG_TEXT, PLACE, COUNTRY)
CHOICE_KINDS = (SINGLE, MULTIPLE)
TEXT_KINDS = (SHORT_TEXT, LONG_TEXT)
SCALE_MIN, SCALE_MAX = 1, 5


class Survey(AudienceLinks, db.Model):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    intro: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # When answering starts and ends; a survey is answerable while it is open and now is
    # within [opens_at, closes_at).
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first time it was opened: from then on answers may exist, and edits that would
    # break them are refused (service.check_edit).
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    audience: Mapped[str] = mapped_column(String(20), default=EVERYONE)
    template: Mapped[str | None] = mapped_column(String(40))  # the template it started from
    results_published: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    invitation_broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    # The message telling the members who answered that results are out: sent once, the
    # first time they are published (unpublishing and publishing again sends nothing more).
    results_broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", cascade="all, delete-orphan",
        order_by="SurveyQuestion.position", lazy="selectin",
    )
    audience_places: Mapped[list[SurveyAudiencePlace]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    audience_countries: Mapped[list[SurveyAudienceCountry]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def has_opened(self) -> bool:
        return self.opened_at is not None


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[dict] = mapped_column(JSON, default=dict)
    hint: Mapped[dict] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    # Multiple choice: at most this many options (None: any number).
    max_choices: Mapped[int | None] = mapped_column(Integer)
    # Number: the bounds (inclusive; None: unbounded within 64 bits).
    min_value: Mapped[int | None] = mapped_column(BigInteger)
    max_value: Mapped[int | None] = mapped_column(BigInteger)
    # Scale: the labels of its ends (1 and 5).
    low_label: Mapped[dict] = mapped_column(JSON, default=dict)
    high_label: Mapped[dict] = mapped_column(JSON, default=dict)
    # Shown only when the answer to an earlier choice question includes one of these options.
    condition_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="SET NULL")
    )
    condition_option_ids: Mapped[list] = mapped_column(JSON, default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    options: Mapped[list[SurveyOption]] = relationship(
        back_populates="question", cascade="all, delete-orphan",
        order_by="SurveyOption.position", lazy="selectin",
    )

    @property
    def has_condition(self) -> bool:
        return self.condition_question_id is not None and bool(self.condition_option_ids)


class SurveyOption(db.Model):
    __tablename__ = "survey_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[dict] = mapped_column(JSON, default=dict)

    question: Mapped[SurveyQuestion] = relationship(back_populates="options")


class SurveyAudiencePlace(db.Model):
    __tablename__ = "survey_audience_places"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True, index=True)


class SurveyAudienceCountry(db.Model):
    __tablename__ = "survey_audience_countries"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


class SurveyParticipation(db.Model):
    """That a member answered a survey: the primary key is the one-response rule."""

    __tablename__ = "survey_participations"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SurveyInvitation(db.Model):
    """An invitation queued for a member: the weekly cap counts these."""

    __tablename__ = "survey_invitations"
    __table_args__ = (Index("ix_survey_invitations_user_sent", "user_id", "invited_at"),)

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyResponse(db.Model):
    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    # None for an anonymous survey: the response cannot be traced to a member.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The day only (an anonymous response's exact time could be matched to other records).
    submitted_on: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(10), default="web")  # web | bot
    # What results are filtered by, as it was at submission.
    country_code: Mapped[str | None] = mapped_column(String(2))
    home_region_id: Mapped[int | None] = mapped_column(
        ForeignKey("places.id", ondelete="SET NULL")
    )
    return_plan: Mapped[str | None] = mapped_column(String(20))

    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", lazy="selectin"
    )


class SurveyAnswer(db.Model):
    """One answered question (one row per chosen option for multiple choice)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", "option_id"),
        Index("ix_survey_answers_question_option", "question_id", "option_id"),
        Index("ix_survey_answers_question_number", "question_id", "number_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE")
    )
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_options.id", ondelete="CASCADE")
    )
    number_value: Mapped[int | None] = mapped_column(BigInteger)
    text_value: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    country_code: Mapped[str | None] = mapped_column(String(2))

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


# The cell of a result count that says "answered this question" (and, with question 0, "one
# response"): every other cell is an option id, a number (scale, number), a place id or a
# country code.
ANSWERED_CELL = ""
BASE_QUESTION = 0


class SurveyResultCount(db.Model):
    """How many respondents gave an answer, by the filters results offer: the counts the
    results pages add up (SQL GROUP BY over these rows, not over every answer).

    Kept in the same transaction as the response (service.submit_response), so it always
    agrees with `survey_answers`; `results.rebuild_counts` recomputes it from the answers.
    One row per (question, cell, number, country, home region, return plan); the filters'
    "unknown" is '' or 0 so the key has no NULL (an upsert must find its row). No response
    id and no time: it says nothing about who answered or when.
    """

    __tablename__ = "survey_result_counts"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    # 0: the response itself (the base of a view); else the question (no foreign key:
    # 0 is not a question; the rows go with the survey).
    question_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell: Mapped[str] = mapped_column(String(24), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    country_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    home_region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_plan: Mapped[str] = mapped_column(String(20), primary_key=True)
    respondents: Mapped[int] = mapped_column(BigInteger, default=0)


# Where a survey keeps its audience, for delivery.audience.visible_to (open surveys a member
# sees on the site and in the bot).
AUDIENCE_COLUMNS = AudienceColumns(
    item_id=Survey.id, kind=Survey.audience,
    place_item_id=SurveyAudiencePlace.survey_id, place_id=SurveyAudiencePlace.place_id,
    country_item_id=SurveyAudienceCountry.survey_id,
    country_code=SurveyAudienceCountry.country_code,
)
