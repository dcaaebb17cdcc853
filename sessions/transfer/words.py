"""Word lists the importer reads headings and file names with.

Our own lists, kept short on purpose: they only have to tell the words of a
talk title from a person's name in the shapes people write headings in
("Chaos Engineering: …" is a title, "Ada Lovelace: …" a speaker).
"""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that appear capitalized in Title Case talk titles and are not personal
# names: a heading part made of them is a title, never a speaker.
COMMON = _words(
    """
    a an the and or of in on at to for with from by into about as is are be was were
    how why what when where who which we you your our my it its this that these those
    not no yes all more less most new old big small best better good bad first last
    next future past modern real great simple easy hard fast slow open closed free
    one two three four five six seven eight nine ten hundred thousand million zero
    part day days night year years time times way ways world life team teams people
    culture lessons lesson learned learning learn story stories journey guide intro
    introduction beyond without towards toward inside behind under over after before
    between against scale scaling building build builds running run shipping ship
    testing test tests deploy deploying deployment deployments delivery continuous
    integration infrastructure code software systems system services service micro
    microservices monolith monoliths cloud clouds native data database databases
    security secure ops dev devs devops devsecops sre site reliability engineering
    engineer engineers monitoring observability logging logs metrics tracing alerting
    alerts incident incidents postmortem postmortems chaos kubernetes docker
    containers container serverless lambda terraform ansible puppet chef git github
    gitlab jenkins python java golang rust ruby linux windows unix web mobile api apis
    design architecture platform platforms performance capacity planning management
    manager managers leadership agile lean kanban scrum panel keynote talk talks
    workshop workshops demo demos session sessions track tracks questions answers
    lunch break coffee welcome closing opening remarks notes summary retrospective
    retro review reviews state stateful stateless distributed network networks
    networking storage edge machine machines ai ml model models pipeline pipelines
    automation automated tooling tools tool stack full things thing stuff everything
    nothing something some any every each other another same different because
    really still just only also even again ever never always love hate fear trust
    truth lies myths myth patterns pattern anti practices practice principles rules
    mistakes failure failures success wins win war game games play hack hacks
    hacking mesh cost costs money budget control version versions release releases
    rollout rollback feature features flags flag product products project projects
    user users customer customers support business value stream streams flow
    queue queues event events sourcing cache caching search graph graphs query
    queries sql nosql http https rest grpc protocol protocols config configuration
    secrets secret identity access policy policies compliance risk risks threat
    threats attack attacks defense defence privacy legal open source sources
    community communities company companies startup startups enterprise scale-up
    digital transformation change changes legacy migration migrations upgrade
    upgrades debt technical tech technology technologies science computer computers
    hardware firmware embedded energy green sustainable sustainability carbon
    remote hybrid office work working workers burnout health mental wellbeing
    diversity inclusion hiring interview interviews career careers junior senior
    staff principal mentoring onboarding documentation docs writing reading
    language languages framework frameworks library libraries package packages
    dependency dependencies supply chain build-time runtime compile compiler
    compilers kernel kernels memory cpu gpu io disk disks file files backup backups
    disaster recovery high availability uptime downtime latency throughput load
    balancing balancer proxy proxies gateway gateways dns tls ssl certificates
    certificate email chat chatops bot bots slack wiki confluence jira ticket
    tickets ci cd gitops infra iac yaml json xml markdown org emacs vim editor
    editors shell bash scripts script scripting automation-first day-two
    unconference conference conferences summit meetup meetups camp festival
    introducing beginner beginners advanced deep dive dives primer crash course
    tips tricks tales tale notes-taking q&a faq tldr tl;dr update updates news
    report reports roadmap vision strategy tactics plan plans goal goals
    objectives results outcomes measure measuring measurement metrics-driven
    continuous-delivery zero-downtime
    """
)

# Letter strings that are words of a title when written alone in capitals.
ACRONYMS = _words(
    """
    API APIS AWS AI ML SRE SRES CI CD CICD DNS TLS SSL HTTP HTTPS REST SQL GDPR IOT
    K8S GCP SAAS PAAS IAAS FAAS VM VMS CPU GPU RAM IO SLA SLO SLOS SLI SLIS TDD BDD
    DDD OSS UX UI QA FAQ TLDR OKR OKRS KPI KPIS MVP POC SDK CLI IDE JVM CDN CMS
    CRM ERP ETL LLM LLMS NLP OPS DEVOPS GITOPS DEV FINOPS NOC SOC DR HA WAN LAN VPN
    TCP UDP IP IPV6 BGP ARM X86 RISC NASA DIY ROI TCO IT
    """
)

# Name particles: lower-case words inside a personal name ("Maria de la Cruz").
PARTICLES = _words(
    """
    de di da del della van von der den le la du des dos das ten ter bin al el y zu
    """
)

# Given names, only to accept a first name written alone in a list of speakers
# ("Ann & Bob, …"); a full name is recognised by its shape without this list.
FIRST_NAMES = _words(
    """
    aaron adam adrian agnes ahmed aisha alan alex alexander alexandra alexis alice
    alicia amanda amy ana andrea andreas andrew andy angela ann anna anne antoine
    anton arjun arthur ashley barbara ben benjamin bernard beth bill bob boris brian
    bruno carl carla carlos carmen caroline catherine cecile charles charlie chen
    chris christian christina christine claire clara claude daniel david deborah
    denis diana diego dmitri dominique donna doug edward elena eli elizabeth ella
    emily emma eric erik eva fabrice fatima felix fernando florian francesca
    francois frank fred gabriel george gerard grace greg guillaume hannah hans harry
    helen henri henry hugo ian igor ingrid irene isabel isabelle ivan jack jacob
    jacques james jan jane janet jason jean jeff jennifer jerome jessica jim joan
    joe johan john jonathan jordan jorge jose joseph julia julie julien karen karim
    kate katie kelsey ken kevin kim klaus kushal laura laurent lea lena leo linda
    lisa liz lucas lucy luis luke magnus manon marc marco margaret maria marie
    mario mark marta martin mary mateo matt matthew max maxime mehdi mei michael
    michel michelle miguel mike mohamed monica nadia natalia nathalie nick nicolas
    nina noah olga oliver olivier omar oscar pablo pat patrick paul paula pedro
    peter philippe pierre priya rachel rahul raj ravi rebecca remy richard rob
    robert roberto rosa ruth ryan sam samuel sandra sara sarah sebastien sergei
    simon sofia sophie stefan stephane stephanie steve steven susan sven tanya
    thomas tim tom tomas valentin vera victor vincent wei william xavier yann
    yuki yusuf zoe
    """
)

# Top-level sections of a repository README (or of a collection of notes) that
# are about the repository, not about the event: never an item.
META_SECTIONS = _words(
    """
    contributing contribute contributors license licence licensing copyright privacy
    links resources toc contents credits acknowledgements acknowledgments thanks
    disclaimer changelog todo installation install usage setup
    """
)
META_SECTION_PHRASES = (
    "how to contribute",
    "code of conduct",
    "table of contents",
    "privacy policy",
    "useful links",
    "about this repo",
    "about this repository",
    "about these notes",
    "see also",
    "further reading",
    "other resources",
)

# Sub-sections a note taker writes under a talk: their presence says "these
# headings are parts of one talk", not talks of their own.
NOTE_SECTIONS = _words(
    """
    problem problems solution solutions diagnosis q&a qa questions answers notes
    summary takeaways takeaway intro introduction conclusion conclusions slides
    video videos links resources references background context discussion
    overview agenda outcome outcomes ideas thoughts quotes highlights tl;dr tldr
    demo abstract bio speaker about details key points lessons learnings
    learned next steps action items follow-up followup recap retro review
    """
)
