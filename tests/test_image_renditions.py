"""Images in sizes that fit the screen: every stored image (news, project and update photos)
gets 480 and 960 px wide renditions, served by its route as `?w=480` / `?w=960` (any other
width is "not found"), and pages offer them in `srcset` so a phone loads a small one."""

from __future__ import annotations

import io
import re
from html import unescape

import sqlalchemy as sa
from PIL import Image

from diaspora.extensions import db
from diaspora.images import fill_renditions, process_image
from diaspora.news import service as news
from diaspora.news.models import NewsImage
from diaspora.projects import progress, service
from diaspora.projects.models import ProjectPhoto
from diaspora.projects.service import ProjectDraft
from tests.conftest import login


def _photo(size=(3000, 2000), mode="RGB", kind="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else "green").save(out, kind)
    return out.getvalue()


def _pixels(response) -> tuple[int, int]:
    assert response.status_code == 200, response.status_code
    return Image.open(io.BytesIO(response.data)).size


def _img_tags(html: str, src_part: str) -> list[str]:
    return [tag for tag in re.findall(r"<img [^>]*>", html) if src_part in tag]


def _srcset(tag: str) -> dict[str, str]:
    """{descriptor: url} of an <img>'s srcset."""
    value = unescape(re.search(r'srcset="([^"]*)"', tag).group(1))
    return {descriptor: url for url, descriptor in
            (candidate.strip().split(" ") for candidate in value.split(","))}


def _published_project(make_user, here, photos):
    proposer = make_user(home=here)
    project = service.save_project(proposer, ProjectDraft(
        place_id=here.id, title="Таза суу", summary="Суу түтүгү", photos=photos))
    service.transition(proposer, project, "submit")
    service.transition(make_user("moderator"), project, "publish")
    return project


def test_renditions_are_made_at_the_widths_of_the_screens(app, ctx):
    picture = process_image(_photo((3000, 2000)))
    assert (picture.width, picture.height) == (1600, 1067)
    sizes = {width: Image.open(io.BytesIO(data)).size
             for width, data in picture.renditions.items()}
    assert sizes == {480: (480, 320), 960: (960, 640)}
    assert all(len(picture.renditions[w]) < len(picture.data) for w in (480, 960))
    # Narrower than 960: only the 480 one; narrower than 480: none (the image itself fits).
    assert set(process_image(_photo((700, 500))).renditions) == {480}
    assert process_image(_photo((400, 300))).renditions == {}
    # Transparency kept: PNG renditions of a PNG.
    clear = process_image(_photo((1000, 1000), "RGBA", "PNG"))
    assert clear.content_type == "image/png"
    assert Image.open(io.BytesIO(clear.renditions[480])).mode == "RGBA"


def test_a_project_page_offers_the_renditions_and_the_routes_serve_them(
        app, make_user, here):
    project = _published_project(make_user, here, [_photo((3000, 2000))])
    photo = project.photos[0]
    client = app.test_client()
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    tag, = _img_tags(html, f"/projects/photos/{photo.id}")
    candidates = _srcset(tag)
    assert candidates == {"480w": f"/projects/photos/{photo.id}?w=480",
                          "960w": f"/projects/photos/{photo.id}?w=960",
                          "1600w": f"/projects/photos/{photo.id}"}
    assert 'sizes="(max-width: 575px) 50vw' in tag
    assert 'width="1600"' in tag and 'height="1067"' in tag  # no layout shift
    small = client.get(candidates["480w"])
    assert _pixels(small) == (480, 320) and small.mimetype == "image/jpeg"
    assert "public" in small.headers["Cache-Control"]
    assert _pixels(client.get(candidates["960w"])) == (960, 640)
    assert _pixels(client.get(candidates["1600w"])) == (1600, 1067)
    # Only the widths offered: the server resizes nothing on demand.
    for width in ("500", "1600", "0", "480.0", "abc", "", "-480"):
        assert client.get(f"/projects/photos/{photo.id}?w={width}").status_code == 404, width


def test_a_small_photo_is_offered_as_it_is(app, make_user, here):
    project = _published_project(make_user, here, [_photo((400, 300))])
    photo = project.photos[0]
    client = app.test_client()
    tag, = _img_tags(client.get(f"/projects/{project.id}").get_data(as_text=True),
                     f"/projects/photos/{photo.id}")
    assert _srcset(tag) == {"400w": f"/projects/photos/{photo.id}"}
    # A link asking for a width still answers, with the image itself (it is narrower).
    assert _pixels(client.get(f"/projects/photos/{photo.id}?w=480")) == (400, 300)


def test_a_hidden_projects_renditions_stay_hidden(app, make_user, here):
    proposer = make_user(home=here)
    project = service.save_project(proposer, ProjectDraft(
        place_id=here.id, title="Draft", summary="Суу", photos=[_photo()]))
    url = f"/projects/photos/{project.photos[0].id}"
    stranger = app.test_client()
    assert stranger.get(f"{url}?w=480").status_code == 404
    mine = login(app.test_client(), proposer).get(f"{url}?w=480")
    assert _pixels(mine) == (480, 320)
    assert mine.headers["Cache-Control"] == "private, no-store"


def test_a_news_post_and_an_update_offer_their_renditions(app, make_user, here):
    moderator = make_user("moderator")
    post = news.save_post(moderator, title={"ky": "Жаңылык"}, body={"ky": "Текст"},
                          image=_photo((2000, 1000)))
    news.publish(moderator, post)
    client = app.test_client()
    tag, = _img_tags(client.get(f"/news/{post.id}").get_data(as_text=True),
                     f"/news/images/{post.image_id}")
    candidates = _srcset(tag)
    assert set(candidates) == {"480w", "960w", "1600w"} and "sizes=" in tag
    assert 'width="1600"' in tag and 'height="800"' in tag
    assert _pixels(client.get(candidates["480w"])) == (480, 240)
    assert client.get(f"/news/images/{post.image_id}?w=320").status_code == 404

    project = _published_project(make_user, here, [])
    authority = make_user("authority", places=(here,))
    service.transition(authority, project, "accept")
    update = progress.post_update(authority, project, "Башталды", photos=[_photo()])
    photo = update.photos[0]
    tag, = _img_tags(client.get(f"/projects/{project.id}").get_data(as_text=True),
                     f"/projects/updates/photos/{photo.id}")
    assert _srcset(tag)["480w"] == f"/projects/updates/photos/{photo.id}?w=480"
    assert _pixels(client.get(f"/projects/updates/photos/{photo.id}?w=480")) == (480, 320)


def test_images_stored_before_renditions_get_them_from_the_command(app, make_user, here):
    project = _published_project(make_user, here, [_photo((3000, 2000))])
    project_id, photo_id = project.id, project.photos[0].id
    # As the migration leaves a row stored earlier: no renditions, none listed.
    db.session.execute(sa.update(ProjectPhoto).values(data_480=None, data_960=None,
                                                      renditions=None))
    db.session.commit()
    client = app.test_client()
    tag, = _img_tags(client.get(f"/projects/{project_id}").get_data(as_text=True),
                     f"/projects/photos/{photo_id}")
    assert _srcset(tag) == {"1600w": f"/projects/photos/{photo_id}"}
    # Pages never make one (a GET writes nothing): the full image until the command runs.
    assert _pixels(client.get(f"/projects/photos/{photo_id}?w=480")) == (1600, 1067)
    assert db.session.scalar(sa.select(ProjectPhoto.renditions)) is None

    result = app.test_cli_runner().invoke(args=["images-renditions"])
    assert result.exit_code == 0 and "1 image(s)" in result.output, result.output
    db.session.expire_all()
    assert _pixels(client.get(f"/projects/photos/{photo_id}?w=480")) == (480, 320)
    assert "960w" in client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert fill_renditions() == 0  # done once
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NewsImage)) == 0
