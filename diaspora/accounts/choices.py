"""The closed answers of the diaspora profile, labelled once for the web and the bot."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

BIRTH_BANDS = {
    "under_25": _l("under 25"),
    "25_34": _l("25–34"),
    "35_44": _l("35–44"),
    "45_54": _l("45–54"),
    "55_plus": _l("55 or older"),
}

GENDERS = {
    "female": _l("Female"),
    "male": _l("Male"),
    "other": _l("Other"),
    "undisclosed": _l("Prefer not to say"),
}

OCCUPATION_SECTORS = {
    "construction": _l("Construction"),
    "trade": _l("Trade and markets"),
    "services": _l("Services"),
    "transport": _l("Transport and delivery"),
    "manufacturing": _l("Manufacturing"),
    "agriculture": _l("Agriculture"),
    "health_care": _l("Health care"),
    "education": _l("Education"),
    "it": _l("IT"),
    "hospitality": _l("Hotels and restaurants"),
    "domestic_work": _l("Domestic work and care"),
    "student": _l("Studying"),
    "other": _l("Other"),
}

RETURN_PLANS = {
    "within_year": _l("Yes, within a year"),
    "later": _l("Yes, later"),
    "undecided": _l("Undecided"),
    "no": _l("No"),
}

REMITTANCES = {
    "regularly": _l("Regularly"),
    "sometimes": _l("Sometimes"),
    "no": _l("No"),
}

# Sectors a member may want to invest or volunteer in at home.
INTEREST_SECTORS = {
    "agriculture": _l("Agriculture"),
    "education": _l("Education"),
    "health": _l("Health"),
    "water": _l("Water and sanitation"),
    "roads": _l("Roads and infrastructure"),
    "tourism": _l("Tourism"),
    "green_energy": _l("Green energy and climate"),
    "it": _l("IT"),
    "crafts": _l("Crafts and small business"),
    "culture_sport": _l("Culture and sport"),
}

ROLE_LABELS = {
    "member": _l("Member"),
    "authority": _l("Local authority"),
    "moderator": _l("Moderator"),
    "admin": _l("Administrator"),
}
