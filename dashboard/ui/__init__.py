"""The Streamlit side: page frame, navigation, URL state, caching. The only package that imports streamlit."""
