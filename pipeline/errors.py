"""The ways a document can fail, each with a stable code.

The code is stored on the document (``Document.error_code``) and shown by the CLI; the message
names the bad value. The docstring is the default message, as in sqlite-utils.
"""


class PipelineError(Exception):
    """The document could not be processed."""

    code = "pipeline_error"

    def __init__(self, message: str | None = None):
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self)


class EmptyFile(PipelineError):
    """The file is empty (0 bytes)."""

    code = "empty_file"


class NotAPDF(PipelineError):
    """The file is not a PDF."""

    code = "not_a_pdf"


class CorruptPDF(PipelineError):
    """The PDF is damaged and cannot be read."""

    code = "corrupt_pdf"


class EncryptedPDF(PipelineError):
    """The PDF is encrypted with a password; ask the sender for an unprotected copy."""

    code = "encrypted_pdf"


class NoTextLayer(PipelineError):
    """The PDF has no text layer (a scan?); it needs OCR before it can be read."""

    code = "no_text_layer"


class TooLarge(PipelineError):
    """The PDF is larger than a configured limit (bytes, pages or memory)."""

    code = "too_large"


class EmptyPDF(PipelineError):
    """The PDF has no pages, or pages with nothing on them (no text, no images, no drawing)."""

    code = "empty_pdf"


class Unreadable(PipelineError):
    """The file cannot be read (permissions, an I/O error)."""

    code = "unreadable"


class Vanished(PipelineError):
    """The file was listed but is gone (moved or deleted) before it could be read."""

    code = "vanished"


class Timeout(PipelineError):
    """Reading the document took longer than the time limit."""

    code = "timeout"


class OCRFailed(PipelineError):
    """OCR of the scanned pages failed."""

    code = "ocr_failed"


class OCRUnavailable(PipelineError):
    """The PDF needs OCR but OCRmyPDF or Tesseract is not installed."""

    code = "ocr_unavailable"
