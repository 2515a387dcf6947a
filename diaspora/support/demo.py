"""Demo support data (`flask seed-demo`, `flask bootstrap`): a directory of local services for
the demo authority's district and two requests of the demo member (one waiting, one answered
with a referral), so the queue, a thread and the directory have something to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from diaspora.accounts import service as accounts
from diaspora.accounts.demo import DEMO_ACCOUNTS
from diaspora.accounts.permissions import verified_places
from diaspora.extensions import db
from diaspora.support import service as support
from diaspora.support.models import SupportRequest

SERVICES = (
    ("Райондук эмгек жана жумуш менен камсыз кылуу борбору", "employment",
     "Борбордук көч. 12", "+996 3522 5 12 34", ["ky", "ru"], "Дш–Жм 9:00–18:00"),
    ("Акысыз юридикалык жардам кеңсеси", "legal", "Ленин көч. 40, 2-кабат",
     "+996 3522 5 55 01", ["ky", "ru"], "Дш–Жм 9:00–17:00"),
    ("Үй-бүлөлүк медицина борбору", "health", "Ооганбаев көч. 3", "+996 3522 5 03 03",
     ["ky", "ru"], "Күн сайын 8:00–20:00"),
    ("Аялдар жана балдар үчүн кризистик борбор", "psychological", "Токтогул көч. 7",
     "+996 3522 5 77 77", ["ky", "ru", "en"], "Дш–Иш 9:00–18:00"),
)


def seed_demo_support(members: int) -> str | None:
    """Services and two requests, once (None: nothing added)."""
    member = accounts.find_by_email(DEMO_ACCOUNTS[4][0])
    authority = accounts.find_by_email(DEMO_ACCOUNTS[2][0])
    if member is None or authority is None or db.session.scalar(
            select(SupportRequest.id).where(SupportRequest.requester_id == member.id).limit(1)):
        return None
    own = verified_places(authority)
    if not own:
        return None
    district = own[0]
    services = [support.save_service(authority, district.id, support.ServiceFields(
        name=name, kind=kind, address=address, phone=phone, languages=languages, hours=hours))
        for name, kind, address, phone, languages, hours in SERVICES]
    waiting = support.create_request(member, support.RequestDraft(
        kind="employment", place_id=district.id, language="ky",
        description="Орусиядан быйыл кайттым, курулушта 6 жыл иштедим. Айылда жумуш табууга "
                    "же өз ишимди ачууга жардам керек.",
        contact_channel="phone", contact_value="+996 555 123 456"))
    answered = support.create_request(member, support.RequestDraft(
        kind="legal", place_id=district.id, language="ky",
        description="Паспортумдун мөөнөтү бүттү, балдарымдын туулгандыгы тууралуу күбөлүктөрү "
                    "Москвада берилген.", contact_channel="telegram", children_services=True))
    support.act(authority, answered, "refer", "Юридикалык кеңсе күбөлүктөрдү мыйзамдаштырууга "
                "жардам берет. Паспортуңузду ала келиңиз.", services[1].id)
    waiting.created_at = waiting.waiting_since = waiting.created_at - timedelta(days=3)
    db.session.commit()
    return f"support: {len(services)} local services, 2 requests"
