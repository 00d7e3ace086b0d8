"""The Streamlit app: a router around five pages, run with `mlsd app`. The pages live in
`ui/screens/`, not `pages/`, which Streamlit would also serve on their own, without this router.

No business logic here or in the pages: the packages decide, the pages display. Who is using the
browser is settled first (a configured OIDC login, else this browser's own anonymous id), and every
page sees only that person's sessions.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import state

PAGES = Path(__file__).resolve().parent / "screens"


def main() -> None:
    st.set_page_config(page_title="MLSD Interviewer", layout="wide")
    me = state.owner()
    if me is None:
        return
    st.session_state["owner"] = me
    pages = [
        st.Page(PAGES / "interview.py", title="Interview", url_path="interview", default=True),
        st.Page(PAGES / "scorecard.py", title="Scorecard", url_path="scorecard"),
        st.Page(PAGES / "self_grade.py", title="Self-grade", url_path="self-grade"),
        st.Page(PAGES / "history.py", title="History and progress", url_path="history"),
        st.Page(PAGES / "evals.py", title="Evals", url_path="evals"),
    ]
    st.navigation(pages).run()


main()
