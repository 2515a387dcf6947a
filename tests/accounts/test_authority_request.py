"""A member asks to represent a local authority: position, organisation, place and an optional
document (an image, re-encoded without its EXIF, or a PDF); other files and files too large
are refused in the member's language with everything they typed kept."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from diaspora.accounts.models import AuthorityPlace, User
from diaspora.extensions import db
from tests.conftest import login, place_by_code

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCamMaker"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "blue").save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def form(place, **extra) -> dict:
    data = {"position": "Head of the aiyl okmotu", "organisation": "Ak-Talaa aiyl okmotu",
            "place_id": str(place.id)}
    data.update(extra)
    return data


def upload(data: bytes, name: str, content_type: str = "application/octet-stream"):
    return (io.BytesIO(data), name, content_type)


def link_of(user: User) -> AuthorityPlace | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(AuthorityPlace).where(AuthorityPlace.user_id == user.id)
                             .options(sa.orm.undefer(AuthorityPlace.document)))


def test_request_with_an_image_keeps_it_re_encoded_without_exif(client, make_user, here):
    member = make_user("member")
    login(client, member)
    original = jpeg_with_exif()
    assert b"SpyCamMaker" in original
    response = client.post("/account/authority?lang=en", data=form(
        here, document=upload(original, "order.jpg", "image/jpeg")))
    assert response.status_code == 302
    link = link_of(member)
    assert (link.position, link.organisation, link.place_id) == (
        "Head of the aiyl okmotu", "Ak-Talaa aiyl okmotu", here.id)
    assert link.status == "pending" and link.document_type == "image/jpeg"
    assert b"SpyCamMaker" not in link.document and b"SecretSoftware" not in link.document
    assert not Image.open(io.BytesIO(link.document)).getexif()
    assert link.document_size == len(link.document)
    assert db.session.get(User, member.id).role == "authority"
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "waiting for a moderator" in page and "Head of the aiyl okmotu" in page
    assert "The document you sent" in page


def test_request_with_a_pdf_keeps_it_as_sent(client, make_user, here):
    member = make_user("member")
    login(client, member)
    response = client.post("/account/authority?lang=en", data=form(
        here, document=upload(PDF, "Order.PDF", "application/pdf")))
    assert response.status_code == 302
    link = link_of(member)
    assert link.document == PDF and link.document_type == "application/pdf"


def test_without_a_document_the_request_is_sent_too(client, make_user, here):
    member = make_user("member")
    login(client, member)
    assert client.post("/account/authority", data=form(here)).status_code == 302
    assert not link_of(member).has_document


def test_a_disguised_file_is_refused_and_what_was_typed_stays(client, make_user, here):
    member = make_user("member")
    login(client, member)
    disguised = {
        # a web page calling itself a PDF, a script calling itself a photo, GIF (not offered)
        "order.pdf": (b"<html><script>alert(1)</script></html>", "application/pdf"),
        "photo.jpg": (b"#!/bin/sh\nrm -rf /\n", "image/jpeg"),
        "scan.gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        # the bytes of a PNG header, the rest garbage
        "broken.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
    }
    for name, (data, content_type) in disguised.items():
        page = client.post("/account/authority?lang=en", data=form(
            here, position="Deputy head", organisation="Kara-Suu okmotu",
            document=upload(data, name, content_type)))
        assert page.status_code == 200, name
        text = page.get_data(as_text=True)
        assert "neither an image (JPEG, PNG or WebP) nor a PDF" in text, name
        assert 'value="Deputy head"' in text and 'value="Kara-Suu okmotu"' in text
        assert f'<option selected value="{here.id}">' in text
    assert link_of(member) is None
    assert db.session.get(User, member.id).role == "member"


def test_the_refusal_is_in_the_members_language(client, make_user, here):
    login(client, make_user("member"))
    text = client.post("/account/authority?lang=ky", data=form(
        here, document=upload(b"MZ\x90\x00 not a document", "x.pdf"))).get_data(as_text=True)
    assert "PDF" in text and "сүрөт" in text


def test_a_file_too_large_is_refused_and_what_was_typed_stays(app, client, make_user, here,
                                                               monkeypatch):
    # the limit is a setting
    monkeypatch.setitem(app.config, "AUTHORITY_DOCUMENT_MAX_BYTES", 1024 * 1024)
    member = make_user("member")
    login(client, member)
    big = PDF + b"%" + b"x" * (1024 * 1024)
    page = client.post("/account/authority?lang=en", data=form(
        here, position="Head of the aiyl okmotu", document=upload(big, "order.pdf")))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "The file is too large (at most 1 MB)." in text
    assert 'value="Head of the aiyl okmotu"' in text and 'value="Ak-Talaa aiyl okmotu"' in text
    assert link_of(member) is None
    # just under the limit goes through
    assert client.post("/account/authority", data=form(
        here, document=upload(PDF, "order.pdf"))).status_code == 302
    assert link_of(member).document == PDF


def test_the_default_limit_is_five_megabytes(app, client, make_user, here):
    assert app.config["AUTHORITY_DOCUMENT_MAX_BYTES"] == 5 * 1024 * 1024
    member = make_user("member")
    login(client, member)
    big = PDF + b"x" * (5 * 1024 * 1024)
    text = client.post("/account/authority?lang=en", data=form(
        here, document=upload(big, "order.pdf"))).get_data(as_text=True)
    assert "The file is too large (at most 5 MB)." in text
    assert link_of(member) is None


def test_position_is_required_and_at_most_120_characters(client, make_user, here):
    member = make_user("member")
    login(client, member)
    text = client.post("/account/authority?lang=en",
                       data=form(here, position="")).get_data(as_text=True)
    assert "This field is required." in text
    text = client.post("/account/authority?lang=en",
                       data=form(here, position="x" * 121)).get_data(as_text=True)
    assert "This is too long." in text
    assert link_of(member) is None


def test_one_place_per_request_and_the_next_form_offers_what_was_typed(client, make_user, here):
    member = make_user("member")
    login(client, member)
    assert client.post("/account/authority", data=form(here)).status_code == 302
    # asking again for the same place while it waits: refused
    again = client.post("/account/authority?lang=en", data=form(here)).get_data(as_text=True)
    assert "You have already asked to represent this place." in again
    # the form for another place starts with the position and organisation of the last one
    blank = client.get("/account/authority?lang=en").get_data(as_text=True)
    assert 'value="Head of the aiyl okmotu"' in blank and 'value="Ak-Talaa aiyl okmotu"' in blank
    other = place_by_code("KG-O")
    assert client.post("/account/authority", data=form(other)).status_code == 302
    db.session.expire_all()
    assert {link.place_id for link in db.session.get(User, member.id).authority_places} == {
        here.id, other.id}


def test_asking_again_after_a_rejection_reopens_the_request(client, make_user, here):
    from diaspora.accounts import authority

    member = make_user("member")
    moderator = make_user("moderator")
    login(client, member)
    client.post("/account/authority", data=form(here))
    authority.reject_authority(moderator, link_of(member), "Send the order, please.")
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "rejected on" in page and "Reason: Send the order, please." in page
    assert db.session.get(User, member.id).role == "member"
    assert client.post("/account/authority", data=form(
        here, document=upload(PDF, "order.pdf"))).status_code == 302
    link = link_of(member)
    assert link.status == "pending" and link.reject_reason is None and link.document == PDF
    assert [link.id for link in authority.pending_authorities()] == [link.id]


def test_staff_do_not_ask(client, make_user, here):
    login(client, make_user("moderator"))
    assert client.get("/account/authority").status_code == 403
