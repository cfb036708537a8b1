"""The Microsoft Teams adapter: the Teams SDK app, its listeners, Adaptive Cards and Graph."""

import warnings

# The SDK warns at import about a preview feature guidebot does not use (HTML widgets).
warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")
