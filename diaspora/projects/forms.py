"""The forms of the project pages. They check shapes (lengths, ids); the service checks
meaning (the place exists, the sector is known, the amounts are som, who may do what)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from diaspora.accounts.choices import INTEREST_SECTORS
from diaspora.forms import TOO_LONG, IdSelectField, MultiCheckboxField
from diaspora.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from diaspora.projects.choices import CONTRIBUTION_LABELS
from diaspora.projects.comments import BODY_MAX as COMMENT_BODY_MAX
from diaspora.projects.progress import MILESTONE_TITLE_MAX, UPDATE_MAX
from diaspora.projects.service import (
    DESCRIPTION_MAX,
    MAX_BUDGET_ITEMS,
    MAX_PHOTOS,
    MONEY_RANGES,
    NOTE_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
)

# Budget lines a page offers without JavaScript: enough for a village's project; a longer
# breakdown goes in the description.
BUDGET_ROWS = 8



def _language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES]


class ProjectForm(FlaskForm):
    place_id = IdSelectField(_l("Where is the project?"), validators=[Optional()])
    title = StringField(_l("Title"), validators=[Length(max=TITLE_MAX, message=TOO_LONG)])
    summary = TextAreaField(_l("In one or two sentences"),
                            validators=[Length(max=SUMMARY_MAX, message=TOO_LONG)])
    description = TextAreaField(
        _l("Description"), validators=[Length(max=DESCRIPTION_MAX, message=TOO_LONG)],
        description=_l("Markdown is allowed: **bold**, _italic_, lists, links."))
    sector = SelectField(_l("Sector"), validators=[Optional()],
                         choices=[("", "—")] + [(k, v) for k, v in INTEREST_SECTORS.items()])
    budget_som = StringField(_l("Estimated budget, som"),
                             validators=[Length(max=40, message=TOO_LONG)],
                             description=_l("Leave empty if you list the costs below: "
                                            "their total is the budget."))
    contributions = MultiCheckboxField(_l("What could the diaspora contribute?"),
                                       choices=list(CONTRIBUTION_LABELS.items()))
    language = SelectField(_l("Written in"), choices=_language_choices())
    as_authority = BooleanField(_l("Post it as the local authority of this place"))
    photos = MultipleFileField(
        _l("Photos (up to %(n)d; JPEG, PNG, WebP or GIF, 5 MB each)", n=MAX_PHOTOS))
    remove_photo_ids = MultiCheckboxField(_l("Remove these photos"), choices=[])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.sector.validate_choice = False  # the service refuses an unknown sector
        self.language.validate_choice = False  # the service falls back to Kyrgyz

    def budget_rows(self) -> list[tuple[str, str]]:
        """The (label, amount) pairs posted in the breakdown's rows."""
        from flask import request

        # More rows than the service accepts are passed on, so it says "at most N lines".
        labels = request.form.getlist("budget_label")[:MAX_BUDGET_ITEMS + 1]
        amounts = request.form.getlist("budget_amount")[:MAX_BUDGET_ITEMS + 1]
        amounts += [""] * (len(labels) - len(amounts))
        labels += [""] * (len(amounts) - len(labels))
        return [(label[:200], amount[:40]) for label, amount in zip(labels, amounts, strict=True)]


class TransitionForm(FlaskForm):
    """The buttons of a project's lifecycle, with the note some of them require."""

    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_MAX, message=TOO_LONG)],
                         description=_l("Required to return, reject or decline: say what to "
                                        "change, or why."))
    language = SelectField(_l("Language of the note"), choices=_language_choices())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.validate_choice = False


class SupportForm(FlaskForm):
    money_range = RadioField(_l("I might give money (a range, not a promise)"),
                             choices=[("", _l("No money"))] + list(MONEY_RANGES.items()),
                             default="", validators=[Optional()])
    skills = StringField(_l("Skills I could offer"), validators=[Length(max=200, message=TOO_LONG)])
    volunteering = BooleanField(_l("I could volunteer"))
    equipment = BooleanField(_l("I could lend or give equipment"))
    show_name = BooleanField(_l("Show my name among the supporters"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.money_range.validate_choice = False  # the service names the refusal


# -- progress (progress.py) ------------------------------------------------------------------
# Field names differ from the other forms of the project page, so ids stay unique there.


class UpdateForm(FlaskForm):
    body = TextAreaField(_l("What happened?"),
                         validators=[Length(max=UPDATE_MAX, message=TOO_LONG)],
                         description=_l("Markdown is allowed: **bold**, _italic_, lists, links."))
    update_language = SelectField(_l("Written in"), choices=_language_choices())
    photos = MultipleFileField(
        _l("Photos (up to %(n)d; JPEG, PNG, WebP or GIF, 5 MB each)", n=MAX_PHOTOS))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.update_language.validate_choice = False  # the service falls back


class MilestoneForm(FlaskForm):
    milestone_title = StringField(
        _l("Milestone"), validators=[Length(max=MILESTONE_TITLE_MAX, message=TOO_LONG)])
    # Text, not a DateField: the service reads it and says what is wrong in our catalogs.
    planned_on = StringField(_l("Planned for (optional)"),
                             validators=[Length(max=40, message=TOO_LONG)],
                             render_kw={"type": "date"})


class MoneyForm(FlaskForm):
    raised_som = StringField(_l("Money raised so far, som"),
                             validators=[Length(max=40, message=TOO_LONG)])
    spent_som = StringField(_l("Money spent so far, som"),
                            validators=[Length(max=40, message=TOO_LONG)])
class CommentForm(FlaskForm):
    """A new comment or question (the toggle), or an answer (no toggle shown)."""

    kind = RadioField(_l("I want to"), choices=[("comment", _l("Comment")),
                                                 ("question", _l("Ask a question"))],
                      default="comment", validators=[Optional()])
    body = TextAreaField(_l("Your text"),
                         validators=[Length(max=COMMENT_BODY_MAX, message=TOO_LONG)])
    language = SelectField(_l("Written in"), choices=_language_choices())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.validate_choice = False  # the service names the refusal
        self.language.validate_choice = False  # the service falls back to Kyrgyz


class CommentEditForm(FlaskForm):
    body = TextAreaField(_l("Your text"),
                         validators=[Length(max=COMMENT_BODY_MAX, message=TOO_LONG)])
