"""What one heading says (sessions.transfer.headings): our corpus of heading shapes.

Each row is a way people head a talk in their notes: the heading, the group it
is written in (an "Ignites" heading or folder, say), and the title, speakers
and kind a person reading it would write down. Precision over recall: where a
part could be a name or words of a title, it is a title.
"""

from datetime import date

import pytest

from sessions.transfer.headings import (
    day_of_heading,
    group_of_heading,
    is_org,
    is_person,
    names_list,
    read_heading,
)

IGNITE, DEMO, SPACE = "ignite", "demo", "open-space"

# (heading, group kind, title, speakers, kind the heading states)
SHAPES = [
    # Speaker, Title — with an affiliation or a handle
    ("Alexis Le-Quoc (CTO DataDog), CustomerOps", None, "CustomerOps", ["Alexis Le-Quoc (CTO DataDog)"], None),
    ("Florian Gilcher (@argorak), How ops improved my dev", None, "How ops improved my dev", ["Florian Gilcher (@argorak)"], None),
    ("Kushal Pisavadia (@KushalP), How we ship software at GOV.UK", None, "How we ship software at GOV.UK", ["Kushal Pisavadia (@KushalP)"], None),
    ("Pierre-Yves Ritschard, Map vs Territory, a history of visibility", None, "Map vs Territory, a history of visibility", ["Pierre-Yves Ritschard"], None),
    ("Ludwig van Beethoven, Ode to CI", None, "Ode to CI", ["Ludwig van Beethoven"], None),
    ("Bob Jones, Initech, Scaling the monolith", None, "Scaling the monolith", ["Bob Jones (Initech)"], None),
    ("Ann & Bob, Some Title", None, "Some Title", ["Ann", "Bob"], None),
    ("Jane Smith, Kubernetes at scale", None, "Kubernetes at scale", ["Jane Smith"], None),
    # Speaker, Employer: no title in the heading
    ("Jane Smith, Acme Corp", None, "Jane Smith", ["Jane Smith (Acme Corp)"], None),
    ("Jane Smith, Google", None, "Jane Smith", ["Jane Smith (Google)"], None),
    # Speaker: Title
    ("Rémy-Christophe Schermesser: Project or Product?", None, "Project or Product?", ["Rémy-Christophe Schermesser"], None),
    ("Fabrice Bernhard: transforming devs into devops", None, "transforming devs into devops", ["Fabrice Bernhard"], None),
    ("Jean-Luc Picard (Starfleet): Engage", None, "Engage", ["Jean-Luc Picard (Starfleet)"], None),
    ("Maria de la Cruz: Distributed tracing", None, "Distributed tracing", ["Maria de la Cruz"], None),
    ("John O'Brien: Incident reviews", None, "Incident reviews", ["John O'Brien"], None),
    ("J. R. Hacker: Kernel bypass", None, "Kernel bypass", ["J. R. Hacker"], None),
    ("@jdoe: Shipping on Fridays", None, "Shipping on Fridays", ["@jdoe"], None),
    ("Ada Lovelace and Grace Hopper: Engines", None, "Engines", ["Ada Lovelace", "Grace Hopper"], None),
    ("Ada Lovelace, Grace Hopper: Engines", None, "Engines", ["Ada Lovelace", "Grace Hopper"], None),
    ("Alice Martin (Acme), Bob Durand (Initech): Joint venture", None, "Joint venture", ["Alice Martin (Acme)", "Bob Durand (Initech)"], None),
    ("Jane Smith: “Monitoring is dead”", None, "Monitoring is dead", ["Jane Smith"], None),
    # Speaker - Title, Speaker -- Title
    ("Jane Smith -- Zero-downtime deploys", None, "Zero-downtime deploys", ["Jane Smith"], None),
    ("Sarah McDonald - Pipelines as code", None, "Pipelines as code", ["Sarah McDonald"], None),
    ("Ada Lovelace & Grace Hopper - Engines", None, "Engines", ["Ada Lovelace", "Grace Hopper"], None),
    ("Kelsey (@kelseyh) - Serverless", None, "Serverless", ["Kelsey (@kelseyh)"], None),
    ("Tomás Ruiz — Observability budgets", None, "Observability budgets", ["Tomás Ruiz"], None),
    # Speaker on Title, Speaker's talk on Title, Speaker (@handle) title
    ("Jane Smith on observability pipelines", None, "observability pipelines", ["Jane Smith"], None),
    ("@kelsey's talk on serverless", None, "serverless", ["@kelsey"], None),
    ("Jane Smith's keynote: Culture first", None, "Culture first", ["Jane Smith"], "keynote"),
    ("Marta Kowalski (@mkowal) from monolith to microservices", None, "from monolith to microservices", ["Marta Kowalski (@mkowal)"], None),
    # Title by Speaker, Title (Speaker), Title - Speaker, Title: Speakers
    ("Keeping state by Ada Lovelace", None, "Keeping state", ["Ada Lovelace"], None),
    ("Scaling Postgres (Jane Smith)", None, "Scaling Postgres", ["Jane Smith"], None),
    ("Containers 101 (Jane Smith & Bob Jones)", None, "Containers 101", ["Jane Smith", "Bob Jones"], None),
    ("Monitoring at scale - Jane Smith", None, "Monitoring at scale", ["Jane Smith"], None),
    ("Panel: Ann Lee, Bob Stone, Carla Diaz", None, "Panel", ["Ann Lee", "Bob Stone", "Carla Diaz"], None),
    ("Security: Jane Smith", None, "Security", ["Jane Smith"], None),
    # Title: Subtitle stays a title — acronyms, slogans, topic names are not people
    ("Kubernetes: The Hard Way", None, "Kubernetes: The Hard Way", [], None),
    ("SRE: Lessons from the trenches", None, "SRE: Lessons from the trenches", [], None),
    ("SRE: Lessons from the trenches", IGNITE, "SRE: Lessons from the trenches", [], None),
    ("Chaos Engineering: Breaking things on purpose", None, "Chaos Engineering: Breaking things on purpose", [], None),
    ("Docker Swarm: a retrospective", None, "Docker Swarm: a retrospective", [], None),
    ("DevOps: the next ten years", None, "DevOps: the next ten years", [], None),
    ("API design: lessons learned", None, "API design: lessons learned", [], None),
    ("Build, Measure, Learn - Retrospective", None, "Build, Measure, Learn - Retrospective", [], None),
    ("Infrastructure as Code, Ten Years Later", None, "Infrastructure as Code, Ten Years Later", [], None),
    ("Continuous Delivery, Continuous Deployment", None, "Continuous Delivery, Continuous Deployment", [], None),
    ("Open Source, Open Minds - Panel", None, "Open Source, Open Minds - Panel", [], None),
    ("Dev and Ops, a love story", None, "Dev and Ops, a love story", [], None),
    ("Site Reliability Engineering at Scale", None, "Site Reliability Engineering at Scale", [], None),
    ("Q&A", None, "Q&A", [], None),
    ("Jane Smith", None, "Jane Smith", [], None),
    ("Pat Debois, What if devops was invented by coca cola?", IGNITE, "What if devops was invented by coca cola?", ["Pat Debois"], None),
    # Kinds: keynote, lightning talk / ignite, workshop, demo, open space
    ("Keynote: The Future of Ops", None, "The Future of Ops", [], "keynote"),
    ("Keynote - Jane Smith: Why we fail", None, "Why we fail", ["Jane Smith"], "keynote"),
    ("Opening keynote: Jane Smith", None, "Opening keynote", ["Jane Smith"], "keynote"),
    ("Closing Keynote", None, "Closing Keynote", [], "keynote"),
    ("Chaos in production lightning talk", None, "Chaos in production", [], "ignite"),
    ("Lightning talk: Vim for ops", None, "Vim for ops", [], "ignite"),
    ("Ignite: Ten years of pager duty", None, "Ten years of pager duty", [], "ignite"),
    ("Jane Smith (Acme) - Lightning talk", None, "Jane Smith", ["Jane Smith (Acme)"], "ignite"),
    ("Workshop: Terraform from scratch", None, "Terraform from scratch", [], "workshop"),
    ("Terraform from scratch (workshop)", None, "Terraform from scratch", [], "workshop"),
    ("Demo: Live migration with zero downtime", None, "Live migration with zero downtime", [], "demo"),
    ("JRebel demo", DEMO, "JRebel", [], "demo"),
    ("Open space, Platform Refactoring", None, "Platform Refactoring", [], SPACE),
    ("Open space: devops and kanban", None, "devops and kanban", [], SPACE),
    ("Openspace - Hiring SREs", None, "Hiring SREs", [], SPACE),
    ("A note from the sponsors: Simon Maple, Zero Turnaround", None, "A note from the sponsors", ["Simon Maple (Zero Turnaround)"], "sponsor"),
    ("Sponsor talk: Acme Cloud", None, "Sponsor talk", ["Acme Cloud"], "sponsor"),
    # Surrounding quotes are dropped
    ('"Monitoring is dead"', None, "Monitoring is dead", [], None),
    ("« Le DevOps, c'est quoi ? »", None, "Le DevOps, c'est quoi ?", [], None),
    ("‘Ops Is Not A Team’", None, "Ops Is Not A Team", [], None),
    # A heading that only names people: its speaker, in a group
    ("Oliver White", IGNITE, "Oliver White", ["Oliver White"], None),
    ("OCTO", IGNITE, "OCTO", ["OCTO"], None),
    ("SERENA: The lost paradise of devops", IGNITE, "The lost paradise of devops", ["SERENA"], None),
    ("Karanbir Singh http://www.karan.org", IGNITE, "Karanbir Singh", ["Karanbir Singh (http://www.karan.org)"], None),
    ("@philandstuff", IGNITE, "@philandstuff", ["@philandstuff"], None),
    ("R. Di Cosmo", IGNITE, "R. Di Cosmo", ["R. Di Cosmo"], None),
    ("Alain Delafosse and Olivier Lefaucheux/Eric Mattern", None, "Alain Delafosse and Olivier Lefaucheux/Eric Mattern", ["Alain Delafosse", "Olivier Lefaucheux", "Eric Mattern"], None),
    # Open spaces: the first name is the host
    ("Pat Debois, value stream mapping from monitoring", SPACE, "value stream mapping from monitoring", ["Pat Debois"], None),
    ("Rebel Labs ops report", SPACE, "Rebel Labs ops report", [], None),
]  # fmt: skip


def test_the_corpus_has_at_least_sixty_shapes():
    assert len({(heading, group) for heading, group, *_ in SHAPES}) >= 60


@pytest.mark.parametrize(("heading", "group", "title", "speakers", "kind"), SHAPES)
def test_heading_shape(heading, group, title, speakers, kind):
    meaning = read_heading(heading, group_kind=group)

    assert (meaning.title, meaning.people, meaning.kind) == (title, speakers, kind)


@pytest.mark.parametrize(
    ("text", "single", "expected"),
    [
        ("Ada Lovelace", False, True),
        ("Le-Quoc", True, False),
        ("Some Title", False, False),
        ("DataDog Inc", False, False),
        ("OCTO", True, True),
        ("API", True, False),
        ("@jdoe", False, True),
        ("Jean DUPONT", False, True),
        ("JEAN DUPONT", False, False),
        ("Kelsey", True, True),
        ("Kubernetes", True, False),
    ],
)
def test_is_person(text, single, expected):
    assert is_person(text, single=single) is expected


def test_names_list_accepts_first_names_only_when_joined():
    assert names_list("Ann & Bob") == ["Ann", "Bob"]
    assert names_list("Ann, Bob") == []
    assert names_list("Tea and Biscuits") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Acme Corp", True), ("Google", True), ("GOV.UK", True), ("Kubernetes", False),
     ("Keeping State", False), ("API", False)],
)  # fmt: skip
def test_is_org(text, expected):
    assert is_org(text) is expected


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Day 2", (2, None)),
        ("day one", (1, None)),
        ("Second day", (2, None)),
        ("Day 1 — 2026-06-10", (1, date(2026, 6, 10))),
        ("Tuesday 2013-10-01", (None, date(2013, 10, 1))),
        ("Day 2 (Friday)", (2, None)),
        ("Day of the dead", None),
        ("Daylight", None),
    ],
)
def test_day_of_heading(heading, expected):
    assert day_of_heading(heading) == expected


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Ignites", ("ignite", None)),
        ("Lightning talks", ("ignite", None)),
        ("Open spaces, day 2", ("open-space", (2, None))),
        ("Workshops", ("workshop", None)),
        ("ZeroTurnaround demos", ("demo", None)),
        ("Keynotes", ("keynote", None)),
        ("Not on the schedule", ("", None)),
        ("Talks about ops", None),
    ],
)
def test_group_of_heading(heading, expected):
    assert group_of_heading(heading) == expected
