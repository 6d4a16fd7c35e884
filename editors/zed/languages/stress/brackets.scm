("{" @open "}" @close)
("[" @open "]" @close)
("(" @open ")" @close)
(interpolation (interpolation_start) @open (interpolation_end) @close)
