; runner: the three stages. Each stage is 64 columns of 16 px (4 screens).
; Column byte $RH: H = ground height in 16 px blocks from the bottom of the screen (0 = pit),
; R = row (1..14, from the top) of a floating brick block, 0 for none.
; Layouts are run-length coded: count, column byte ... 0. The counts of a stage add up to 64.

G2 = $02              ; normal ground: standing y = 192
G3 = $03
G4 = $04
G5 = $05
PIT = $00
STONE = $A0           ; a brick at row 10 over a pit: a stepping stone

level_ptrs:
  .word stage1, stage2, stage3
enemy_ptrs:
  .word enemies1, enemies2, enemies3
flag_cols:
  .byte 58, 60, 60

; Stage 1: two short pits, a step up, a three-block wall that needs a held jump, four walkers.
stage1:
  .byte 5, G2
  .byte 2, $92          ; bricks overhead
  .byte 2, G2
  .byte 2, PIT
  .byte 8, G2
  .byte 2, G4
  .byte 2, G5
  .byte 3, PIT
  .byte 10, G2
  .byte 2, G5           ; wall: a jump with A held
  .byte 3, G2
  .byte 3, PIT
  .byte 12, G2
  .byte 8, G2
  .byte 0
enemies1:
  .byte 16, 30, 33, 49, $FF

; Stage 2: wider pits, stepping stones, five walkers.
stage2:
  .byte 10, G2
  .byte 4, PIT
  .byte 6, G2
  .byte 2, G4
  .byte 2, G5
  .byte 4, PIT
  .byte 8, G2
  .byte 2, STONE
  .byte 2, PIT
  .byte 2, STONE
  .byte 6, G2
  .byte 2, G5
  .byte 4, PIT
  .byte 10, G2
  .byte 0
enemies2:
  .byte 17, 30, 33, 45, 56, $FF

; Stage 3: a five-wide pit, a raised plateau, long stone runs, six walkers.
stage3:
  .byte 8, G2
  .byte 5, PIT
  .byte 6, G3
  .byte 4, PIT
  .byte 2, G5
  .byte 2, PIT
  .byte 8, G2
  .byte 2, STONE
  .byte 3, PIT
  .byte 2, STONE
  .byte 3, PIT
  .byte 8, G2
  .byte 2, G5
  .byte 9, G2
  .byte 0
enemies3:
  .byte 15, 29, 32, 47, 50, 57, $FF
