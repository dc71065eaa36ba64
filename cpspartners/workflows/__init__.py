"""Web pages for following an experience through: students' applications, teachers' requests
for a speaker or partner, notifications and the survey afterwards. Views stay thin: the rules
live in ``cpspartners.services``."""
