"""The points a recommendation adds up: one constant per signal, read by both scoring paths.

Interest outweighs place, place outweighs the small fit signals. Change a weight here and the
reference (``scoring``) and the vector path (``offer_index``) both follow; the tests compare them.
"""

from cpspartners.recommendations.records import EITHER, HYBRID, IN_PERSON, VIRTUAL

W_TAG = 3.0  # per interest tag in common, at most MAX_INTEREST_HITS of them
W_CLUSTER = 2.0  # per career cluster in common, at most MAX_INTEREST_HITS
MAX_INTEREST_HITS = 2
W_TEXT = 3.0  # times the search index's score in [0, 1] for the seeker's free words
AT_SCHOOL = 3.0
IN_AREA = 1.5
NEAR = 2.0  # falls linearly to 0 at NEAR_MILES from the seeker's school
NEAR_MILES = 6.0
GRADE_FIT = 0.5  # a range of at most GRADE_FIT_WIDTH + 1 grades that contains the student's
GRADE_FIT_WIDTH = 3
LANGUAGE_BONUS = 1.0  # offered in a language the seeker speaks other than English
LANGUAGE_MISMATCH = -3.0  # offered in no language the seeker speaks
# MODALITY[preference][offer modality]
MODALITY = {
    IN_PERSON: {IN_PERSON: 0.0, HYBRID: 0.0, VIRTUAL: -2.0},
    VIRTUAL: {IN_PERSON: -2.0, HYBRID: 1.0, VIRTUAL: 1.5},
    EITHER: {IN_PERSON: 0.0, HYBRID: 0.25, VIRTUAL: 0.5},
}
PAID = 0.5
PAID_NEEDED = 2.0  # on top of PAID when the student needs paid work
TRANSPORT_NEEDED = 1.5
NO_TRANSPORT_FAR = -1.0  # needs transportation, in person only, none provided, far or unknown
FAR_MILES = 3.0
FOR_CLASSES = 2.0  # a teacher and an offer meant for classrooms
POPULAR = 1.0  # times log1p(popularity) / log1p(POPULAR_SCALE), at most POPULAR
POPULAR_SCALE = 100
POPULAR_REASON_MIN = 10
CLOSING_SOON = 0.5
CLOSING_SOON_DAYS = 14
NEW = 0.3
NEW_DAYS = 21
DISMISSED_PARTNER = -2.5
DISMISSED_KIND = -1.5
PER_PARTNER = 2
