"""The code facts the engine records with each finding (engine/_context.py): entry points,
untrusted input reaching the flagged code in the same function, constants, sanitisers and
dead code, in Python and JavaScript/TypeScript."""

from __future__ import annotations

from tavo_platform.engine import CodeContext, Language, Span
from tavo_platform.engine._context import code_contexts, contexts_for


def context_at(source: str, marker: str, language: Language = Language.PYTHON) -> CodeContext:
    """The context of the code on the line holding `marker` (the span covers the line's
    statement, as a rule's match would)."""
    lines = source.splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if marker in line)
    line = lines[number - 1].split("  #")[0].split("  //")[0].rstrip().rstrip(";")
    start = len(line) - len(line.lstrip())
    if line.lstrip().startswith("return "):
        start += len("return ")
    end = len(line)
    [found] = code_contexts(source, language, [Span(number, start + 1, number, end + 1)])
    assert found is not None
    return found


def test_flask_route_with_request_data() -> None:
    source = """
from flask import request

@app.route("/x")
def view():
    name = request.args["name"]
    greeting = "hi " + name
    os.system(greeting)  # sink
"""
    found = context_at(source, "os.system")
    assert (found.function, found.entrypoint) == ("view", "web_handler")
    assert found.untrusted_sources == ("request",)
    assert found.constant_input is False and not found.dead_code


def test_fastapi_handler_parameters_and_typed_request() -> None:
    source = """
@router.get("/items/{item_id}")
async def item(item_id: str, db=Depends(get_db)):
    return db.execute(f"SELECT * FROM items WHERE id = {item_id}")

async def hook(req: Request):
    eval(await req.body())
"""
    assert context_at(source, "db.execute").untrusted_sources == ("handler_parameter",)
    hook = context_at(source, "eval(")
    assert hook.entrypoint == "web_handler" and "request" in hook.untrusted_sources


def test_llm_reply_and_llm_tools() -> None:
    source = """
def answer(client, question):
    reply = client.chat.completions.create(model="m", messages=[])
    text = reply.choices[0].message.content
    subprocess.run(text, shell=True)

@tool
def shell(command: str) -> str:
    return subprocess.check_output(command, shell=True)
"""
    assert "llm_output" in context_at(source, "subprocess.run").untrusted_sources
    tool = context_at(source, "check_output")
    assert tool.entrypoint == "llm_tool" and tool.untrusted_sources == ("llm_output",)


def test_constants_parameters_and_sanitisers() -> None:
    source = """
BASE = "ls"

def listing():
    command = BASE + " -l"
    os.system(command)

def helper(path):
    os.system("cat " + path)

@app.post("/ping")
def ping():
    host = shlex.quote(request.form["host"])
    os.system("ping " + host)
    count = int(request.form["count"])
    os.system(f"ping -c {count} localhost")
"""
    assert context_at(source, "os.system(command)").constant_input is True
    helper = context_at(source, 'os.system("cat')
    assert helper.from_parameters and not helper.untrusted_sources
    assert helper.constant_input is False
    quoted = context_at(source, 'os.system("ping')
    assert quoted.untrusted_sources == () and quoted.sanitizers == ("shlex.quote",)
    counted = context_at(source, "os.system(f")
    assert counted.sanitizers == ("int",)


def test_dead_code() -> None:
    source = """
def old(x):
    if False:
        eval(x)
    return None
    exec(x)

def live(x):
    if x:
        return 1
    eval(x)
"""
    assert context_at(source, "eval(x)").dead_code
    assert context_at(source, "exec(x)").dead_code
    lines = source.splitlines()
    last = len(lines) - lines[::-1].index("    eval(x)")
    [live] = code_contexts(source, Language.PYTHON, [Span(last, 5, last, 12)])
    assert live is not None and not live.dead_code


def test_command_line_entry_points() -> None:
    source = """
import sys

def main():
    eval(sys.argv[1])

if __name__ == "__main__":
    exec(input())
"""
    inside = context_at(source, "eval(")
    assert inside.entrypoint == "cli" and inside.untrusted_sources == ("user_input",)
    guarded = context_at(source, "exec(")
    assert guarded.entrypoint == "cli" and guarded.function is None


def test_express_and_nextjs_handlers() -> None:
    source = """
app.post("/q", async (req, res) => {
  const { id } = req.params;
  items.forEach((item) => {
    db.query(`SELECT * FROM t WHERE id = ${id}`);
  });
});
function report() {
  const table = "reports";
  return db.query(`SELECT * FROM ${table}`);
}
export async function POST(request: Request) {
  const body = await request.json();
  return eval(body.code);
}
"""
    nested = context_at(source, "db.query(`SELECT * FROM t", Language.TYPESCRIPT)
    assert nested.entrypoint == "web_handler" and "request" in nested.untrusted_sources
    constant = context_at(source, "db.query(`SELECT * FROM ${table}", Language.TYPESCRIPT)
    assert constant.constant_input is True
    route = context_at(source, "eval(body.code)", Language.TSX)
    assert route.entrypoint == "web_handler" and route.function == "POST"
    assert "request" in route.untrusted_sources


def test_other_languages_and_failures_give_no_context() -> None:
    span = Span(1, 1, 1, 5)
    assert code_contexts("key = 1", Language.GENERIC, [span]) == [None]
    # A span past the end of the file must not cost the scan.
    assert contexts_for("x = 1\n", Language.PYTHON, [Span(99, 1, 99, 2)])[0] is not None
