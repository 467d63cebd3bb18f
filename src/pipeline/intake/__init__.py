"""Documents as users get them: a saved web page, a PDF, a Word file or plain text -> the text the
extractor reads, with a map from each range of it back to the source (the element of a page, the
page and position of a PDF, the paragraph or table row of a Word file)."""
