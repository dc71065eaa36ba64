"""The families' programmes of the source documents (docs: the City's 2021 announcement of the
Chicago Connected-Coursera partnership), as real partners and published listings for families.

Only what the announcement and the programmes' public pages say is written here: where a
detail is not known (a phone line, an eligibility rule), the text says where to ask, and the
sign-ups the site cannot do itself link to the official page. Upserted by external id, so
running it twice changes nothing; partners stand outside the vetting gate only through a
recorded, audited exemption (``services.vetting.set_exemption``), which a specialist can remove.
"""

from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, SeatPool
from cpspartners.services import vetting

GET_CONNECTED = "https://cps.edu/getconnected"
DIGITAL_LEARNING = "https://cps.edu/digitallearning"
COURSERA_POOL = "Coursera for Chicago Connected families"

PARTNERS = (
    {
        "external_id": "chicago-connected",
        "slug": "chicago-connected",
        "name": "Chicago Connected",
        "kind": "government",
        "website": GET_CONNECTED,
        "mission": (
            "Chicago Connected, launched in June 2020, provides no-cost, high-speed internet service to eligible "
            "Chicago Public Schools students and their families, with digital-learning offerings for families "
            "around it: Northstar Digital Literacy workshops and assessments at community organizations, and "
            "Coursera licences."
        ),
        "mission_es": (
            "Chicago Connected, creado en junio de 2020, ofrece internet de alta velocidad sin costo a los "
            "estudiantes de las Escuelas Públicas de Chicago que reúnen los requisitos y a sus familias, con "
            "ofertas de aprendizaje digital para las familias: talleres y evaluaciones de Northstar Digital "
            "Literacy en organizaciones comunitarias, y licencias de Coursera."
        ),
        "exemption": (
            "City of Chicago and CPS programme (administered with CPS Family and Community Engagement): it offers "
            "families home internet and online learning, not in-person work with students."
        ),
    },
    {
        "external_id": "coursera",
        "slug": "coursera",
        "name": "Coursera",
        "kind": "employer",
        "website": "https://www.coursera.org/",
        "mission": (
            "An online learning platform with courses from over 200 universities and organizations. Through "
            "Chicago Connected it offers families courses and entry-level Professional Certificates (by Google, "
            "IBM and Facebook) at no cost to them."
        ),
        "mission_es": (
            "Una plataforma de aprendizaje en línea con cursos de más de 200 universidades y organizaciones. A "
            "través de Chicago Connected ofrece a las familias cursos y Certificados Profesionales de nivel "
            "inicial (de Google, IBM y Facebook) sin costo para ellas."
        ),
        "exemption": (
            "Online courses for adult family members on Coursera's own site, through the Chicago Connected "
            "programme that CPS Family and Community Engagement administers; no Coursera staff work with students."
        ),
    },
    {
        "external_id": "cps-parent-universities",
        "slug": "cps-parent-universities",
        "name": "CPS Parent Universities",
        "kind": "government",
        "website": DIGITAL_LEARNING,
        "mission": (
            "CPS's 13 Parent Universities help families gain skills, build community, and receive training and "
            "certificates. They manage and distribute Coursera licences to Chicago Connected families."
        ),
        "mission_es": (
            "Las 13 Parent Universities (Universidades para Padres) de CPS ayudan a las familias a adquirir "
            "habilidades, crear comunidad y recibir capacitación y certificados. Administran y reparten las "
            "licencias de Coursera para las familias de Chicago Connected."
        ),
        "exemption": (
            "District-run: the Parent Universities are CPS's own, run by Family and Community Engagement staff "
            "under the district's screening and insurance."
        ),
    },
)

ASK = (
    "Details not given here (a phone line, who exactly qualifies) are on the official page; "
    "ask your school or your Parent University if you are unsure."
)
ASK_ES = (
    "Los detalles que no aparecen aquí (un teléfono, quién reúne los requisitos) están en la página "
    "oficial; si tiene dudas, pregunte en su escuela o en su Parent University."
)

LISTINGS = (
    {
        "external_id": "family-chicago-connected-internet",
        "slug": "chicago-connected-free-home-internet",
        "partner": "chicago-connected",
        "kind": "digital_literacy",
        "modality": "virtual",
        "title": "Chicago Connected: free high-speed home internet for CPS families",
        "title_es": "Chicago Connected: internet gratis de alta velocidad en casa para familias de CPS",
        "summary": (
            "No-cost, high-speed home internet (broadband) for eligible CPS students and their families. "
            "Check whether your family is eligible and sign up on the official CPS page."
        ),
        "summary_es": (
            "Internet gratis de alta velocidad en casa (banda ancha) para estudiantes de CPS que reúnen los "
            "requisitos y sus familias. Vea si su familia califica e inscríbase en la página oficial de CPS."
        ),
        "description": (
            "What it offers: no-cost, high-speed internet service at home. When the programme turned one, it "
            "served about 64,000 students in 42,000 households.\n\n"
            "Who is eligible: eligible Chicago Public Schools students and their families. The eligibility "
            f"check is on the official page, {GET_CONNECTED}.\n\n"
            "How to take part: this site cannot sign you up. Check your eligibility and sign up with the "
            f"programme at {GET_CONNECTED}. " + ASK
        ),
        "description_es": (
            "Qué ofrece: servicio de internet de alta velocidad en casa, sin costo. Al cumplir un año, el "
            "programa atendía a unos 64,000 estudiantes en 42,000 hogares.\n\n"
            "Quién califica: los estudiantes de las Escuelas Públicas de Chicago que reúnen los requisitos y "
            f"sus familias. La verificación está en la página oficial, {GET_CONNECTED}.\n\n"
            "Cómo participar: este sitio no puede inscribirle. Verifique si califica e inscríbase con el "
            f"programa en {GET_CONNECTED}. " + ASK_ES
        ),
        "tags": ["internet", "broadband", "wifi", "digital inclusion"],
    },
    {
        "external_id": "family-northstar-digital-literacy",
        "slug": "northstar-digital-literacy-for-chicago-connected-families",
        "partner": "chicago-connected",
        "kind": "digital_literacy",
        "modality": "hybrid",
        "title": "Northstar Digital Literacy workshops and assessments for families",
        "title_es": "Talleres y evaluaciones de alfabetización digital Northstar para familias",
        "summary": (
            "Digital-literacy training at your own pace, with workshops and proctored Northstar assessments at "
            "community organizations; earn badges and certificates that show your computer skills."
        ),
        "summary_es": (
            "Formación en alfabetización digital a su propio ritmo, con talleres y evaluaciones Northstar "
            "supervisadas en organizaciones comunitarias; obtenga insignias y certificados de sus habilidades."
        ),
        "description": (
            "What it offers: Northstar Digital Literacy trainings help learners expand their digital skills "
            "and know-how at their own pace. Learners can test their knowledge with assessments and earn "
            "badges and certificates that show their computer skills to current and future employers. "
            "Community-based organizations host digital learning workshops and proctor the assessments; the "
            "Chicago Citywide Literacy Coalition administers the programme.\n\n"
            "Who is eligible: Chicago Connected families.\n\n"
            f"How to take part: find a training site and the current workshops at {DIGITAL_LEARNING}. " + ASK
        ),
        "description_es": (
            "Qué ofrece: las capacitaciones de Northstar Digital Literacy ayudan a ampliar las habilidades "
            "digitales a su propio ritmo. Puede poner a prueba sus conocimientos con evaluaciones y obtener "
            "insignias y certificados que muestran sus habilidades a empleadores actuales y futuros. Las "
            "organizaciones comunitarias ofrecen talleres y supervisan las evaluaciones; la Chicago Citywide "
            "Literacy Coalition administra el programa.\n\n"
            "Quién califica: las familias de Chicago Connected.\n\n"
            f"Cómo participar: encuentre un lugar de capacitación y los talleres en {DIGITAL_LEARNING}. " + ASK_ES
        ),
        "tags": ["digital literacy", "northstar", "computer skills"],
    },
    {
        "external_id": "family-coursera-licences",
        "slug": "coursera-learning-licences-for-families",
        "partner": "coursera",
        "kind": "adult_upskilling",
        "modality": "virtual",
        "title": "Coursera learning licences for families: certificates in IT support, data analytics and more",
        "title_es": "Licencias de Coursera para familias: certificados en soporte de TI, análisis de datos y más",
        "summary": (
            "Four months of free Coursera access, renewable: job-ready Professional Certificates, hands-on "
            "projects and well-being courses, given out by community organizations and the Parent Universities."
        ),
        "summary_es": (
            "Cuatro meses de acceso gratis a Coursera, renovables: Certificados Profesionales, proyectos "
            "prácticos y cursos de bienestar, que reparten organizaciones comunitarias y las Parent Universities."
        ),
        "description": (
            "What it offers: access to Coursera at no cost, for four months, with the chance to renew: "
            "entry-level Professional Certificates designed by Google, IBM and Facebook that prepare learners "
            "without a degree or technology experience for roles such as IT support, data analytics and social "
            "media marketing, hands-on projects, and courses on personal well-being and resilience. The "
            "landing page is in English, Spanish and more.\n\n"
            "Who is eligible: Chicago Connected families (about 1,000 licences at the launch). Invitations "
            "come through the CPS Parent Universities and Chicago Connected community partners.\n\n"
            "How to take part: ask for a licence on this site (an email address and a name are enough), or "
            f"ask your Parent University. More at {DIGITAL_LEARNING}. " + ASK
        ),
        "description_es": (
            "Qué ofrece: acceso gratis a Coursera durante cuatro meses, con la posibilidad de renovarlo: "
            "Certificados Profesionales de nivel inicial diseñados por Google, IBM y Facebook, que preparan "
            "sin título ni experiencia en tecnología para puestos como soporte de TI, análisis de datos y "
            "marketing en redes sociales, proyectos prácticos y cursos de bienestar personal y resiliencia. "
            "La página de inicio está en inglés, español y otros idiomas.\n\n"
            "Quién califica: las familias de Chicago Connected (unas 1,000 licencias al comienzo). Las "
            "invitaciones llegan por las Parent Universities de CPS y los socios comunitarios de Chicago "
            "Connected.\n\n"
            "Cómo participar: pida una licencia en este sitio (basta un correo y un nombre) o pregunte en su "
            f"Parent University. Más información en {DIGITAL_LEARNING}. " + ASK_ES
        ),
        "tags": ["it support", "data analytics", "certificates", "online courses"],
    },
)


def _partner(spec):
    partner = Partner.query.filter_by(external_id=spec["external_id"]).one_or_none()
    if partner is None:
        partner = Partner(external_id=spec["external_id"], slug=spec["slug"])
        db.session.add(partner)
    for field in ("name", "kind", "website", "mission", "mission_es"):
        setattr(partner, field, spec[field])
    partner.languages = "en,es"
    partner.status = "active"
    db.session.flush()
    vetting.set_exemption(None, partner, spec["exemption"])
    return partner


def _listing(spec, partners):
    opp = Opportunity.query.filter_by(external_id=spec["external_id"]).one_or_none()
    if opp is None:
        opp = Opportunity(external_id=spec["external_id"], slug=spec["slug"])
        db.session.add(opp)
    for field in ("kind", "modality", "title", "title_es", "summary", "summary_es", "description", "description_es"):
        setattr(opp, field, spec[field])
    opp.partner = partners[spec["partner"]]
    opp.audience = "families"
    opp.grade_min, opp.grade_max = 0, 12
    opp.languages = "en,es"
    opp.tags = spec["tags"]
    opp.status = "published"
    return opp


def _pool(provider, opp):
    """The Coursera licences as a seat pool: about 1,000 at the launch, four months each. The
    administrator shares them out to the distributors on /pools (the split is not public)."""
    pool = SeatPool.query.filter_by(provider_id=provider.id, name=COURSERA_POOL).one_or_none()
    if pool is None:
        pool = SeatPool(provider_id=provider.id, name=COURSERA_POOL, total_seats=1000)
        db.session.add(pool)
    pool.name_es = "Coursera para familias de Chicago Connected"
    pool.description = "Coursera licences for Chicago Connected families: four months, renewable."
    pool.validity_days = 120
    pool.remind_days_before = 14
    pool.opportunity = opp
    return pool


def seed_programmes():
    """Upsert the programmes' partners, listings and licence pool in one transaction."""
    partners = {spec["external_id"]: _partner(spec) for spec in PARTNERS}
    listings = {spec["external_id"]: _listing(spec, partners) for spec in LISTINGS}
    db.session.flush()
    _pool(partners["coursera"], listings["family-coursera-licences"])
    db.session.commit()
    return {"partners": len(partners), "listings": len(listings), "licence pools": 1}
