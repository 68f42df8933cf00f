"""Looking past the text: the image files behind each ``image_url`` (opt-in with ``--images``).

``refs`` takes what the image pass needs from each kept record, ``locate`` maps an ``image_url`` to a local
path or an Azure Blob URL, ``storage`` reads it, ``probe`` asks Pillow what it is, ``cache`` remembers the
answer, and ``check`` runs the pass and turns probes into Problems with the AML7xx rules.
"""
