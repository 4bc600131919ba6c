"""The web console for officials and district staff: sign-in and sessions now; the pages
build on them (issue 10)."""
