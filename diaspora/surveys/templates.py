"""Ready-made surveys staff start from in one click (a draft they then adapt).

* "Diaspora mapping": the questions behind IOM's mapping of the Kyrgyz diaspora — money
  sent to the family and how often, plans to return for permanent residence and when,
  interest in investing in development and climate actions at home and in which sectors,
  and what would help (trust, information, partners, legal guarantees, cooperation with
  local authorities).
* "Authorities' readiness": asks local authorities (the UNDP–IOM assessment) about migrants
  who returned to their communities, their readiness to support them and their capacity
  gaps.

The texts are content, not interface: they are stored in the survey in all three
languages, so they live here as data and not in the Babel catalogs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from diaspora.accounts.models import User
from diaspora.accounts.permissions import require
from diaspora.delivery import audience as audiences
from diaspora.errors import NotFound
from diaspora.extensions import db
from diaspora.places.models import Place
from diaspora.surveys import service
from diaspora.surveys.models import (
    LONG_TEXT,
    MULTIPLE,
    NUMBER,
    PLACE,
    SCALE,
    SINGLE,
    Survey,
)

Texts = dict[str, str]


def t(ky: str, ru: str, en: str) -> Texts:
    return {"ky": ky, "ru": ru, "en": en}


@dataclass(frozen=True)
class TemplateQuestion:
    kind: str
    prompt: Texts
    options: Sequence[Texts] = ()
    required: bool = True
    hint: Texts = field(default_factory=dict)
    max_choices: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    low_label: Texts = field(default_factory=dict)
    high_label: Texts = field(default_factory=dict)
    # Shown only to those who chose one of these options (indexes) of an earlier question
    # (its index in the template).
    condition: tuple[int, tuple[int, ...]] | None = None


@dataclass(frozen=True)
class SurveyTemplate:
    key: str
    title: Texts
    intro: Texts
    questions: Sequence[TemplateQuestion]
    audience: str = audiences.EVERYONE
    anonymous: bool = True


YES = t("Ооба", "Да", "Yes")
NO = t("Жок", "Нет", "No")
PERHAPS = t("Балким", "Возможно", "Perhaps")
DONT_KNOW = t("Азырынча билбейм", "Пока не знаю", "I don't know yet")

DIASPORA_MAPPING = SurveyTemplate(
    key="diaspora_mapping",
    title=t("Диаспораны картага түшүрүү", "Картирование диаспоры", "Diaspora mapping"),
    intro=t(
        "Чет өлкөдөгү мекендештер үй-бүлөсүн жана туулган жерин кантип колдоп жатканын, "
        "ага дагы эмне жардам берерин түшүнүүгө жардам бериңиз. Болжол менен беш мүнөт "
        "убакыт алат, жооптор аты-жөнүңүз жок сакталат.",
        "Помогите нам понять, как соотечественники за рубежом поддерживают свои семьи и "
        "родные места и что помогло бы им делать больше. Это займёт около пяти минут, "
        "ответы сохраняются без вашего имени.",
        "Help us understand how compatriots abroad support their families and home "
        "communities, and what would help them do more. It takes about five minutes; answers "
        "are kept without your name.",
    ),
    questions=(
        TemplateQuestion(  # 0
            SINGLE,
            t("Кыргызстандагы үй-бүлөңүзгө акча жөнөтөсүзбү?",
              "Вы отправляете деньги семье в Кыргызстан?",
              "Do you send money to your family in Kyrgyzstan?"),
            options=(t("Ооба, үзгүлтүксүз", "Да, регулярно", "Yes, regularly"),
                     t("Ооба, анда-санда", "Да, время от времени", "Yes, from time to time"),
                     NO),
        ),
        TemplateQuestion(  # 1
            SINGLE,
            t("Акчаны канчалык тез-тез жөнөтөсүз?", "Как часто вы отправляете деньги?",
              "How often do you send money?"),
            options=(t("Ар ай сайын", "Каждый месяц", "Every month"),
                     t("Эки-үч айда бир жолу", "Раз в два-три месяца",
                       "Every two or three months"),
                     t("Жылына бир нече жолу", "Несколько раз в год", "A few times a year"),
                     t("Жылына бир жолу же андан сейрек", "Раз в год или реже",
                       "Once a year or less")),
            condition=(0, (0, 1)),
        ),
        TemplateQuestion(  # 2
            SINGLE,
            t("Кыргызстанга туруктуу жашоого кайтууну пландап жатасызбы?",
              "Планируете ли вы вернуться в Кыргызстан на постоянное место жительства?",
              "Do you plan to return to Kyrgyzstan for permanent residence?"),
            options=(YES, NO, DONT_KNOW),
        ),
        TemplateQuestion(  # 3
            SINGLE,
            t("Качан кайтууну пландап жатасыз?", "Когда вы планируете вернуться?",
              "When do you plan to return?"),
            options=(t("Бир жылдын ичинде", "В течение года", "Within a year"),
                     t("Бир жылдан үч жылга чейин", "Через один–три года",
                       "In one to three years"),
                     t("Үч жылдан кийин", "Больше чем через три года",
                       "In more than three years"),
                     DONT_KNOW),
            condition=(2, (0,)),
        ),
        TemplateQuestion(  # 4
            SINGLE,
            t("Туулган жериңиздеги өнүгүү жана климат боюнча иш-аракеттерге инвестиция "
              "салууга кызыгасызбы?",
              "Интересно ли вам вкладывать средства в развитие и климатические проекты в "
              "родных местах?",
              "Would you be interested in investing in development and climate actions in "
              "your home community?"),
            options=(YES, PERHAPS, NO),
        ),
        TemplateQuestion(  # 5
            MULTIPLE,
            t("Кайсы тармактарга?", "В каких сферах?", "In which sectors?"),
            max_choices=3,
            options=(t("Айыл чарба", "Сельское хозяйство", "Agriculture"),
                     t("Билим берүү", "Образование", "Education"),
                     t("Саламаттык сактоо", "Здравоохранение", "Health"),
                     t("Суу жана санитария", "Вода и санитария", "Water and sanitation"),
                     t("Жолдор жана инфраструктура", "Дороги и инфраструктура",
                       "Roads and infrastructure"),
                     t("Туризм", "Туризм", "Tourism"),
                     t("Жашыл энергетика жана климатка ыңгайлашуу",
                       "Зелёная энергетика и адаптация к изменению климата",
                       "Green energy and climate adaptation"),
                     t("Чакан бизнес жана соода", "Малый бизнес и торговля",
                       "Small business and trade")),
            condition=(4, (0, 1)),
        ),
        TemplateQuestion(  # 6
            MULTIPLE,
            t("Мекениңиздеги долбоорлорго инвестиция салууга же катышууга эмне жардам "
              "берет?",
              "Что помогло бы вам вкладывать средства или участвовать в проектах на родине?",
              "What would help you invest or take part in projects at home?"),
            hint=t("Бир нечесин тандасаңыз болот.", "Можно выбрать несколько.",
                   "You may choose several."),
            options=(t("Акча туура колдонуларына ишеним",
                       "Уверенность, что деньги используются по назначению",
                       "Trust that the money is used as intended"),
                     t("Муктаждыктар жана долбоорлор тууралуу маалымат",
                       "Информация о нуждах и проектах",
                       "Information about needs and projects"),
                     t("Мекендеги ишенимдүү өнөктөштөр", "Надёжные партнёры на родине",
                       "Reliable partners at home"),
                     t("Инвесторлор үчүн укуктук кепилдиктер",
                       "Правовые гарантии для инвесторов", "Legal guarantees for investors"),
                     t("Жергиликтүү бийлик менен кызматташуу",
                       "Сотрудничество с местными властями",
                       "Cooperation with local authorities")),
        ),
        TemplateQuestion(  # 7
            SCALE,
            t("Туулган жериңиздин жергиликтүү бийлигине канчалык ишенесиз?",
              "Насколько вы доверяете местной власти в родных местах?",
              "How much do you trust the local authorities of your home community?"),
            required=False,
            low_label=t("Такыр ишенбейм", "Совсем не доверяю", "Not at all"),
            high_label=t("Толук ишенем", "Полностью доверяю", "Fully"),
        ),
        TemplateQuestion(  # 8
            LONG_TEXT,
            t("Бизге дагы эмне айткыңыз келет?", "Что ещё вы хотели бы нам сказать?",
              "Anything else you would like to tell us?"),
            required=False,
        ),
    ),
)

AUTHORITIES_READINESS = SurveyTemplate(
    key="authorities_readiness",
    title=t("Жергиликтүү бийликтин кайтып келген мигранттарды колдоого даярдыгы",
            "Готовность местной власти поддерживать вернувшихся мигрантов",
            "Local authorities' readiness to support returned migrants"),
    intro=t(
        "Айыл өкмөттөрү, район жана шаар администрациялары үчүн: коомчулугуңузга канча "
        "мигрант кайтып келди, аларды колдоого канчалык даярсыз жана эмнеңиз жетишпейт. "
        "Жоопторуңуз окууларды жана колдоону пландоого жардам берет.",
        "Для айыл окмоту, районных и городских администраций: сколько мигрантов вернулось "
        "в ваше сообщество, насколько вы готовы их поддержать и чего вам не хватает. Ваши "
        "ответы помогут спланировать обучение и поддержку.",
        "For aiyl okmotu, district and city administrations: how many migrants returned to "
        "your community, how ready you are to support them and what you lack. Your answers "
        "help plan training and support.",
    ),
    audience=audiences.AUTHORITIES,
    anonymous=False,
    questions=(
        TemplateQuestion(  # 0
            PLACE,
            t("Администрацияңыз кайсы аймакты тейлейт?",
              "Какую территорию обслуживает ваша администрация?",
              "Which place does your administration serve?"),
        ),
        TemplateQuestion(  # 1
            NUMBER,
            t("Акыркы 12 айда коомчулугуңузга болжол менен канча мигрант кайтып келди?",
              "Примерно сколько мигрантов вернулось в ваше сообщество за последние 12 "
              "месяцев?",
              "About how many migrants returned to your community in the last 12 months?"),
            min_value=0, max_value=1_000_000,
        ),
        TemplateQuestion(  # 2
            SINGLE,
            t("Кайтып келген мигранттарды каттап турасызбы?",
              "Ведёте ли вы учёт вернувшихся мигрантов?",
              "Do you keep a record of returned migrants?"),
            options=(YES, t("Жарым-жартылай", "Частично", "Partly"), NO),
        ),
        TemplateQuestion(  # 3
            SCALE,
            t("Администрацияңыз кайтып келген мигранттарды колдоого канчалык даяр?",
              "Насколько ваша администрация готова поддерживать вернувшихся мигрантов?",
              "How ready is your administration to support returned migrants?"),
            low_label=t("Даяр эмес", "Не готова", "Not ready"),
            high_label=t("Толук даяр", "Полностью готова", "Fully ready"),
        ),
        TemplateQuestion(  # 4
            MULTIPLE,
            t("Аларга азыр кандай колдоо көрсөтөсүз?",
              "Какую поддержку вы уже им оказываете?",
              "What support do you already offer them?"),
            options=(t("Маалымат жана кеңеш", "Информация и консультации",
                       "Information and advice"),
                     t("Документтер боюнча жардам", "Помощь с документами",
                       "Help with documents"),
                     t("Жумуш табууга жардам", "Помощь в поиске работы", "Help finding work"),
                     t("Окутуу жана кайра даярдоо", "Обучение и переподготовка",
                       "Training and retraining"),
                     t("Бизнес баштоого колдоо", "Поддержка в открытии своего дела",
                       "Support to start a business"),
                     t("Психологиялык жана социалдык колдоо",
                       "Психологическая и социальная поддержка",
                       "Psychological and social support"),
                     t("Азырынча эч кандай", "Пока никакой", "None yet")),
        ),
        TemplateQuestion(  # 5
            MULTIPLE,
            t("Аларды колдоо үчүн администрацияңызга эмне жетишпейт?",
              "Чего не хватает вашей администрации, чтобы их поддерживать?",
              "What does your administration lack to support them?"),
            options=(t("Даярдалган кызматкерлер", "Подготовленных сотрудников",
                       "Trained staff"),
                     t("Бюджет", "Бюджета", "Budget"),
                     t("Ким кайтып келгени тууралуу маалымат",
                       "Сведений о том, кто вернулся",
                       "Information about who has returned"),
                     t("Өнөктөштөр (коомдук уюмдар, бизнес, донорлор)",
                       "Партнёров (НКО, бизнес, доноры)",
                       "Partners (NGOs, business, donors)"),
                     t("Так эрежелер жана жол-жоболор", "Чётких правил и процедур",
                       "Clear rules and procedures"),
                     t("Жай жана жабдуулар", "Помещений и оборудования",
                       "Premises and equipment")),
        ),
        TemplateQuestion(  # 6
            SINGLE,
            t("Администрацияңызда мигранттар менен иштөөгө жооптуу адам барбы?",
              "Есть ли в вашей администрации ответственный за работу с мигрантами?",
              "Is someone in your administration responsible for work with migrants?"),
            options=(YES, t("Пландалууда", "Планируется", "It is planned"), NO),
        ),
        TemplateQuestion(  # 7
            SINGLE,
            t("Коомчулугуңуздагы долбоорлор боюнча диаспора менен иштешкиңиз келеби?",
              "Хотели бы вы работать с диаспорой над проектами в вашем сообществе?",
              "Would you like to work with the diaspora on projects in your community?"),
            options=(YES, PERHAPS, NO),
        ),
        TemplateQuestion(  # 8
            LONG_TEXT,
            t("Администрацияңызга эмне баарынан көбүрөөк жардам берет? Кыскача жазыңыз.",
              "Что больше всего помогло бы вашей администрации? Опишите кратко.",
              "What would help your administration most? Describe briefly."),
            required=False,
        ),
    ),
)

TEMPLATES: dict[str, SurveyTemplate] = {
    template.key: template for template in (DIASPORA_MAPPING, AUTHORITIES_READINESS)
}


def _audience_places(template: SurveyTemplate) -> list[int]:
    """Local authorities are verified for a region, a district or a community, and an
    authorities' audience names places exactly: the template starts with every place, and
    staff narrow it down."""
    if template.audience not in (audiences.HOME, audiences.AUTHORITIES):
        return []
    return list(db.session.scalars(select(Place.id).order_by(Place.level, Place.code)))


def create_from_template(actor: User, key: str) -> Survey:
    """A new draft survey with the template's settings and questions (its conditions point
    at the new questions' options)."""
    require(actor, "surveys.manage")
    template = TEMPLATES.get(key)
    if template is None:
        raise NotFound()
    survey = service.create_survey(actor, service.SurveySettings(
        title=template.title, intro=template.intro, anonymous=template.anonymous,
        audience=template.audience, place_ids=_audience_places(template),
    ))
    saved = []
    for question in template.questions:
        condition_id, condition_options = None, []
        if question.condition is not None:
            source = saved[question.condition[0]]
            condition_id = source.id
            condition_options = [source.options[i].id for i in question.condition[1]]
        saved.append(service.save_question(actor, survey, service.QuestionSpec(
            kind=question.kind, prompt=question.prompt, hint=question.hint,
            required=question.required,
            options=[service.OptionSpec(label) for label in question.options],
            max_choices=question.max_choices, min_value=question.min_value,
            max_value=question.max_value, low_label=question.low_label,
            high_label=question.high_label, condition_question_id=condition_id,
            condition_option_ids=condition_options,
        )))
    survey.template = template.key
    db.session.commit()
    return survey
