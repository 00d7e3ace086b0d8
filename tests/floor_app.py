"""The least a Streamlit chat turn costs: a one-fragment page that answers at once and shows only
the latest exchange (the answer, the reply as a chat message with its caption, the engine's time).
The browser test times a turn here with the same watch as the interview's, in the same run, so what
the interview page adds can be read beside what Streamlit itself takes on this machine."""

import streamlit as st

st.title("Streamlit's floor")


@st.fragment
def live() -> None:
    text = st.chat_input("Your answer")
    if text is not None:
        st.session_state["replies"] = st.session_state.get("replies", 0) + 1
        with st.chat_message("user"):
            st.markdown(text)
    if "replies" in st.session_state:
        with st.chat_message("assistant"):
            st.markdown(f"Reply {st.session_state['replies']}.")
            st.caption("1/7 · ask · offline")
    st.caption("Last turn: 0 ms in the engine")


live()
