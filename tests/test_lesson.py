"""Worked examples that teach: one weight's story, the post's explanations, the post's own
figures explained in place, and nothing of the derivation lost on the way."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import tracer
from tracer import comparison
from tracer.cli import main
from tracer.document import Document, build_document
from tracer.keys import variant_spec
from tracer.lesson import Story
from tracer.renderer import render_files
from tracer.spec import load_spec, parse_spec
from tracer.steps import Step

from .strategies import networks

DATA = Path(__file__).parent / "data"


def prose_words(markdown: str) -> int:
    """Words of running text: no math, tables, figures or headings."""
    text = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.S)
    text = re.sub(r"\$[^$]*\$", " ", text)
    lines = [line for line in text.splitlines()
             if not line.startswith(("|", "![", "#", "<!--"))]
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", "\n".join(lines)))


@pytest.fixture(scope="module")
def seed_md() -> str:
    return tracer.render(tracer.trace(tracer.example_spec()), "md")


def seed_document() -> Document:
    return build_document(tracer.trace(tracer.example_spec()), "md")


def stories(doc: Document) -> list[Story]:
    return [story for section in doc.sections for story in section.stories]


def all_steps(doc: Document) -> list[Step]:
    found = []
    for section in doc.sections:
        for story in section.stories:
            found += [beat.step for beat in story.beats if beat.kind != "product"]
        found += [step for group in section.groups for step in group.steps]
    return found


def test_the_seed_reads_as_a_lesson(seed_md: str) -> None:
    assert prose_words(seed_md) >= 700
    order = [seed_md.index(text) for text in (
        "## Forward pass", "## Error", "### Following $w_{5}$",
        r"**How much does the total error change when $\mathrm{out}_{o1}$ changes?**",
        r"**How much does the output $\mathrm{out}_{o1}$ change when its net input "
        r"$\mathrm{net}_{o1}$ changes?**",
        r"**How much does the net input $\mathrm{net}_{o1}$ change when $w_{5}$ changes?**",
        "**Putting it all together**", "**delta**", "**delta rule**", "**subtract**",
        "### The other weights of layer o", "### Following $w_{1}$",
        "Big picture", "**original** weights", "**add up**", "## Summary")]
    assert order == sorted(order)


def test_the_post_steps_a_learner_must_see(seed_md: str) -> None:
    # The power rule, σ' = out(1 − out) with its derivation, the product on one line.
    assert (r"&= 2 \cdot \frac{1}{2} \left(\mathrm{target}_{o1} - \mathrm{out}_{o1}\right)"
            r"^{2 - 1} \cdot (-1) + 0" in seed_md)
    assert "\n" + r"\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2}" in seed_md
    assert (r"&= \textcolor{#D55E00}{0.74136507} \times \textcolor{#0072B2}{0.186815602} \times "
            r"\textcolor{#004D33}{0.593269992} \\" + "\n&= 0.082167041") in seed_md
    # w1's big picture comes before its pieces, and its product line is there too.
    w1 = seed_md[seed_md.index("### Following $w_{1}$"):]
    big_picture = w1.index(r"\frac{\partial E_{\mathrm{total}}}{\partial w_{1}} = "
                           r"\textcolor{#D55E00}{\frac{\partial E_{\mathrm{total}}}{\partial "
                           r"\mathrm{out}_{h1}}}")
    assert big_picture < w1.index(
        r"\frac{\partial \mathrm{net}_{o1}}{\partial \mathrm{out}_{h1}} &=")
    # Each factor in its figure's colour: the big picture, its own step, the product line.
    assert w1.count(r"\textcolor{#0072B2}{\frac{\partial \mathrm{out}_{h1}}{\partial "
                    r"\mathrm{net}_{h1}}}") == 3
    assert "0.036350306} \\times \\textcolor{#0072B2}{0.241300709} \\times " in w1


def test_the_post_figures_are_explained_where_they_arise(seed_md: str) -> None:
    path = seed_md.index(r"{\frac{\partial E_{o2}}{\partial \mathrm{out}_{h1}}} ")
    remark = seed_md.index("printed as \u2212" + "0.019049119", path)
    assert remark < seed_md.index(
        r"**How much does the total error change when $\mathrm{out}_{h1}$")
    assert "values carried" in seed_md[remark:remark + 600] or \
        "rounded to the decimals it shows" in seed_md[remark:remark + 600]
    after = seed_md.index("printed as 0.291027924")
    assert "sequential updates" in seed_md[after:after + 400]
    assert r"| ${E_{\mathrm{total}}}^{+}$ | 0.000035085 | 0.000035102 | 0.000035085 |" in seed_md
    assert r"| ${\mathrm{out}_{o1}}^{+}$ | 0.015912196 | 0.01591362 | 0.015912196 |" in seed_md
    assert r"| ${\mathrm{out}_{o2}}^{+}$ | 0.984065734 | 0.984064274 | 0.984065734 |" in seed_md


def test_the_comparisons_are_recomputed_not_assumed() -> None:
    spec = tracer.example_spec()
    found = {c.name: c for c in comparison.compare(spec)}
    # Rounded carrying, recomputed, gives the post's digit; exact carrying does not.
    path = found["dE_o2/dout_h1"]
    assert path.setting == "carry" and not path.agrees
    assert path.reproduced == pytest.approx(-0.019049119, abs=5e-10)
    after = found["E_total_after"]
    assert after.setting == "update_order"
    assert after.reproduced is not None and round(after.reproduced, 9) == 0.291027924
    sequential = load_spec(Path(tracer.__file__).parent / "examples" / "seed-sequential.toml")
    assert tracer.trace(sequential)["E_total_after"] == pytest.approx(after.reproduced,
                                                                      abs=1e-15)
    # A printed figure that matches ours says so, and a spec without figures has none.
    assert spec.published is not None
    same = replace(spec, published=replace(spec.published, values=(
        replace(spec.published.values[0], value=-0.019049118),)))
    assert comparison.compare(same)[0].agrees
    assert comparison.compare(replace(spec, published=None)) == ()


def test_no_step_is_lost_in_the_lesson() -> None:
    trace = tracer.trace(tracer.example_spec())
    lesson = all_steps(build_document(trace, "md"))
    computed = all_steps(build_document(trace, "md", follow=()))
    assert sorted(s.name for s in lesson) == sorted(s.name for s in computed)
    assert len({s.name for s in lesson}) == len(lesson)  # nothing shown twice
    by_name = {s.name: s for s in computed}
    for step in lesson:
        assert step.value == by_name[step.name].value


def check_story(doc: Document) -> None:
    """Each story ends with its parameter's update; what it recalls was shown before it."""
    shown: set[str] = set()
    for section in doc.sections:
        for story in section.stories:
            assert story.beats[-1].kind == "update"
            assert story.beats[-1].step.name == f"{story.name}_new"
            earlier = {s.lhs: s.value for s in shown_steps(doc, shown)}
            for symbol, value in (row.cells for row in story.recalled):
                assert earlier[symbol] == value
            shown |= {b.step.name for b in story.beats}
        shown |= {s.name for g in section.groups for s in g.steps}


def shown_steps(doc: Document, names: set[str]) -> list[Step]:
    return [s for s in all_steps(doc) if s.name in names]


def product_agrees(step: Step) -> bool:
    """The factors as shown, multiplied, give the value shown, to its precision."""
    plain = re.sub(r"\\textcolor\{#\w+\}\{((?:[^{}]|\{[^{}]*\})*)\}", r"\1", step.forms[-1])
    plain = re.sub(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", r"\1E\2", plain)  # powers of ten
    factors = [Decimal(f.replace(r"\left(", "").replace(r"\right)", ""))
               for f in plain.split(r" \times ")]
    product = Decimal(1)
    for factor in factors:
        product *= factor
    shown = Decimal(re.sub(r"(-?[\d.]+) \\times 10\^\{(-?\d+)\}", r"\1E\2", step.value))
    # Each factor is off by up to half its last digit; that error grows with the product.
    slack = sum((abs(product / f) * last_digit(f) / 2 for f in factors if f), Decimal(0))
    return abs(product - shown) <= last_digit(shown) / 2 + slack


def last_digit(number: Decimal) -> Decimal:
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_stories_hold_for_any_network(spec: tracer.Spec) -> None:
    doc = build_document(tracer.trace(spec), "md")
    if spec.several:
        assert not stories(doc)
        return
    assert [s.name for s in stories(doc)] == list(dict.fromkeys(
        [next(t.name for t in tracer.trace(spec).symbolic.givens
              if t.role == "weight" and t.layer == layer) for layer in (len(spec.layers), 1)]))
    check_story(doc)
    for story in stories(doc):
        for beat in story.beats:
            if beat.kind == "product":
                assert product_agrees(beat.step), beat.step


@pytest.mark.parametrize("name", ["deep.toml", "leaky.toml", "rich.toml"])
def test_stories_of_the_test_networks(name: str) -> None:
    doc = build_document(tracer.trace(load_spec(DATA / name)), "md")
    check_story(doc)
    assert tracer.render(tracer.trace(load_spec(DATA / name)), "md").count("### Following") \
        == len(stories(doc)) > 0


def test_follow_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--follow", "w7", "--follow", "w3", "-o", "-"]) == 0
    out = capsys.readouterr().out
    assert "### Following $w_{7}$" in out and "### Following $w_{3}$" in out
    assert "### Following $w_{5}$" not in out
    assert main(["render", "--follow", "none", "-o", "-"]) == 0
    assert "### Following" not in capsys.readouterr().out
    for bad, message in (("w55", "'w55' is not a weight or bias of the network (did you mean "
                                 "'w5'?)"),
                         ("b1", "'b1' is not updated (update_biases = false)")):
        assert main(["render", "--follow", bad, "-o", "-"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_training_and_focus_keep_computation_order() -> None:
    trace = tracer.trace(tracer.example_spec())
    assert not stories(build_document(trace, "md", focus_on=["w5"]))
    run = tracer.train(trace.symbolic, 3, keep=[1, 3])
    assert not stories(build_document(run, "md"))


@pytest.mark.parametrize(("table", "message"), [
    ('[published]\nsource = "x"\n[published.values]\nw55_new = 1.0',
     "published.values.w55_new: no quantity 'w55_new' in this network"),
    ('[published]\nsource = "x"\n[published.values]\nw5_new = "0.3"',
     "published.values.w5_new: must be a number"),
    ('[published]\n[published.values]\nw5_new = 0.3', "published.source: must say who"),
    ('[published]\nsource = "x"', "published: gives no figures"),
    ('[published]\nsource = "x"\n[published.training]\nupdates = 0\nE_total_after = 1.0',
     "published.training.updates: must be a whole number from 1 to 100000"),
    ('[published]\nsource = "x"\nyear = 2015', "published.year: unknown key"),
])
def test_bad_published_tables(tmp_path: Path, table: str, message: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    text = tracer.example_text("seed").split("# The figures the post prints")[0] + table + "\n"
    spec = tmp_path / "spec.toml"
    spec.write_text(text, encoding="utf-8")
    assert main(["render", str(spec), "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_variants_drop_the_published_figures() -> None:
    text = tracer.example_text("seed") + (
        '\n[randomize]\nweights = { low = 0.1, high = 0.9, decimals = 2 }\n')
    spec = parse_spec(text)
    assert spec.published is not None
    assert variant_spec(spec, {"w1": 0.3}).published is None


def test_the_path_figures_are_of_the_weights_followed_or_focused() -> None:
    trace = tracer.trace(tracer.example_spec())
    followed = render_files(trace, "md", "doc", follow=("w7", "w3"))
    # The output path figure labels ∂net_o2/∂w7: the factor of the weight followed.
    svg = str(followed["doc.output-path.svg"])
    assert re.search(r"\u2202net</tspan><tspan[^>]*>o2</tspan><tspan[^>]*>/\u2202w</tspan>"
                     r"<tspan[^>]*>7</tspan>", svg)
    assert "doc.hidden-path.svg" in followed and "doc.network.svg" in followed
    focused = render_files(trace, "md", "doc", focus_on=["w1"])
    assert sorted(focused) == ["doc.hidden-path.svg", "doc.md"]
    assert "(doc.hidden-path.svg)" in focused["doc.md"]
