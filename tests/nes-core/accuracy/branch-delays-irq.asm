; Branch instructions and interrupt polling (NESdev wiki, "CPU interrupts", branch instructions):
; interrupts are polled before a branch's second cycle (operand fetch) and, when a taken branch
; crosses a page, again before its PCH fix-up (fourth) cycle. A taken branch that stays in the page
; (3 cycles) therefore does not poll before its last cycle as other instructions do: an IRQ that
; rises during its second cycle waits for one more instruction.
;
; Method: the APU frame IRQ (4-step mode, flag set 29,828 + 3..4 cycles after a $4017 write, the
; jitter depending on the write cycle's parity) is the timer. Each trial writes $4017, waits a fixed time plus d cycles (d = 0..23, a clock slide:
; $C9 bytes then $C5 $EA, one cycle per byte skipped), clears I and runs 12 INX, a 3- or 4-cycle
; instruction, 12 INX. The IRQ handler records X (how many INX ran before the IRQ) and returns
; with I set. Every trial takes the same number of cycles wherever the IRQ lands (the slide after
; the sequence runs 23 - d cycles). Variants, 24 trials each:
;   0: JMP next (3 cycles, polls before cycle 3)        1: BNE taken, same page (3 cycles)
;   2: BIT abs (4 cycles, polls before cycle 4)         3: BNE taken, crossing a page (4 cycles)
; Every trial runs twice in a row (runs 2i and 2i + 1), so that all even runs start on one CPU
; cycle parity and all odd runs on one parity whatever the trial's length: the frame-counter
; jitter is the same within each half, and each half sweeps the IRQ over every cycle of the
; sequence. The checks hold for each half.
; Checks (result code):
;   1  every IRQ of variants 0 and 2 landed inside the sequence (X in 1..23): the timer is calibrated
;   2  where variant 1 differs from variant 0 it is by exactly one more INX (the IRQ was delayed)
;   3  variant 1 differs from variant 0 for exactly one d in each half: the IRQ rising in the
;      branch's second cycle
;   4  variant 3 equals variant 2 for every d: a page-crossing branch polls before its last cycle
  .include "shell.asm"

k        = $10
ptr_pre  = $12          ; 2 bytes
ptr_post = $14          ; 2 bytes
ptr_seq  = $16          ; 2 bytes
irq_x    = $18
diffs    = $19          ; 2 bytes: differences in the even and the odd half
results  = $0300        ; X at the IRQ of run k = 2 * (24 * variant + d) + half (192 bytes)

main:
  lda #<irq_handler
  sta irq_ptr
  lda #>irq_handler
  sta irq_ptr+1
  lda #0
  sta k
trial:
  lda k
  lsr a
  tay
  lda pre_lo,y
  sta ptr_pre
  lda pre_hi,y
  sta ptr_pre+1
  lda post_lo,y
  sta ptr_post
  lda post_hi,y
  sta ptr_post+1
  lda seq_lo,y
  sta ptr_seq
  lda seq_hi,y
  sta ptr_seq+1
  lda #$00
  sta $4017             ; 4-step mode, IRQ enabled: the sequencer restarts
  jsr wait_fixed
  jmp (ptr_pre)
slide_pre:              ; entered at slide_pre + 23 - d: d + 3 cycles
  .byte $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9
  .byte $C5, $EA
  ldx #0
  cli
  jmp (ptr_seq)
seq_done:
  jmp (ptr_post)
slide_post:             ; entered at slide_post + d: 26 - d cycles
  .byte $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9, $C9
  .byte $C5, $EA
  ldy k
  lda irq_x
  sta results,y
  inc k
  lda k
  cmp #192
  bne trial

  ldy #0                ; check 1
@calibrated:
  lda results,y
  beq @fail1
  cmp #24
  bcs @fail1
  lda results+96,y
  beq @fail1
  cmp #24
  bcs @fail1
  iny
  cpy #48
  bne @calibrated
  lda #0                ; checks 2 and 3
  sta diffs
  sta diffs+1
  ldy #0
@compare:
  lda results+48,y
  cmp results,y
  beq @same
  sec
  sbc results,y
  cmp #1
  bne @fail2
  tya
  and #1
  tax
  inc diffs,x
@same:
  iny
  cpy #48
  bne @compare
  lda diffs
  cmp #1
  bne @fail3
  lda diffs+1
  cmp #1
  bne @fail3
  ldy #0                ; check 4
@crossing:
  lda results+144,y
  cmp results+96,y
  bne @fail4
  iny
  cpy #48
  bne @crossing
  jmp passed
@fail1:
  lda #1
  jmp finish
@fail2:
  lda #2
  jmp finish
@fail3:
  lda #3
  jmp finish
@fail4:
  lda #4
  jmp finish

irq_handler:
  stx irq_x
  lda $4015             ; acknowledge the frame IRQ
  pla
  ora #$04              ; return with I set: one IRQ per trial
  pha
  rti

; 29,767 cycles: 23 * (5 * 255 + 6) + 1, then 5 * 60 + 1, then 2.
wait_fixed:
  ldx #23
@outer:
  ldy #255
@inner:
  dey
  bne @inner
  dex
  bne @outer
  ldy #60
@rest:
  dey
  bne @rest
  nop
  rts

  .align 128
pre_lo:
  .byte <(slide_pre + 23), <(slide_pre + 22), <(slide_pre + 21), <(slide_pre + 20), <(slide_pre + 19), <(slide_pre + 18), <(slide_pre + 17), <(slide_pre + 16), <(slide_pre + 15), <(slide_pre + 14), <(slide_pre + 13), <(slide_pre + 12), <(slide_pre + 11), <(slide_pre + 10), <(slide_pre + 9), <(slide_pre + 8), <(slide_pre + 7), <(slide_pre + 6), <(slide_pre + 5), <(slide_pre + 4), <(slide_pre + 3), <(slide_pre + 2), <(slide_pre + 1), <(slide_pre + 0)
  .byte <(slide_pre + 23), <(slide_pre + 22), <(slide_pre + 21), <(slide_pre + 20), <(slide_pre + 19), <(slide_pre + 18), <(slide_pre + 17), <(slide_pre + 16), <(slide_pre + 15), <(slide_pre + 14), <(slide_pre + 13), <(slide_pre + 12), <(slide_pre + 11), <(slide_pre + 10), <(slide_pre + 9), <(slide_pre + 8), <(slide_pre + 7), <(slide_pre + 6), <(slide_pre + 5), <(slide_pre + 4), <(slide_pre + 3), <(slide_pre + 2), <(slide_pre + 1), <(slide_pre + 0)
  .byte <(slide_pre + 23), <(slide_pre + 22), <(slide_pre + 21), <(slide_pre + 20), <(slide_pre + 19), <(slide_pre + 18), <(slide_pre + 17), <(slide_pre + 16), <(slide_pre + 15), <(slide_pre + 14), <(slide_pre + 13), <(slide_pre + 12), <(slide_pre + 11), <(slide_pre + 10), <(slide_pre + 9), <(slide_pre + 8), <(slide_pre + 7), <(slide_pre + 6), <(slide_pre + 5), <(slide_pre + 4), <(slide_pre + 3), <(slide_pre + 2), <(slide_pre + 1), <(slide_pre + 0)
  .byte <(slide_pre + 23), <(slide_pre + 22), <(slide_pre + 21), <(slide_pre + 20), <(slide_pre + 19), <(slide_pre + 18), <(slide_pre + 17), <(slide_pre + 16), <(slide_pre + 15), <(slide_pre + 14), <(slide_pre + 13), <(slide_pre + 12), <(slide_pre + 11), <(slide_pre + 10), <(slide_pre + 9), <(slide_pre + 8), <(slide_pre + 7), <(slide_pre + 6), <(slide_pre + 5), <(slide_pre + 4), <(slide_pre + 3), <(slide_pre + 2), <(slide_pre + 1), <(slide_pre + 0)
  .align 128
pre_hi:
  .byte >(slide_pre + 23), >(slide_pre + 22), >(slide_pre + 21), >(slide_pre + 20), >(slide_pre + 19), >(slide_pre + 18), >(slide_pre + 17), >(slide_pre + 16), >(slide_pre + 15), >(slide_pre + 14), >(slide_pre + 13), >(slide_pre + 12), >(slide_pre + 11), >(slide_pre + 10), >(slide_pre + 9), >(slide_pre + 8), >(slide_pre + 7), >(slide_pre + 6), >(slide_pre + 5), >(slide_pre + 4), >(slide_pre + 3), >(slide_pre + 2), >(slide_pre + 1), >(slide_pre + 0)
  .byte >(slide_pre + 23), >(slide_pre + 22), >(slide_pre + 21), >(slide_pre + 20), >(slide_pre + 19), >(slide_pre + 18), >(slide_pre + 17), >(slide_pre + 16), >(slide_pre + 15), >(slide_pre + 14), >(slide_pre + 13), >(slide_pre + 12), >(slide_pre + 11), >(slide_pre + 10), >(slide_pre + 9), >(slide_pre + 8), >(slide_pre + 7), >(slide_pre + 6), >(slide_pre + 5), >(slide_pre + 4), >(slide_pre + 3), >(slide_pre + 2), >(slide_pre + 1), >(slide_pre + 0)
  .byte >(slide_pre + 23), >(slide_pre + 22), >(slide_pre + 21), >(slide_pre + 20), >(slide_pre + 19), >(slide_pre + 18), >(slide_pre + 17), >(slide_pre + 16), >(slide_pre + 15), >(slide_pre + 14), >(slide_pre + 13), >(slide_pre + 12), >(slide_pre + 11), >(slide_pre + 10), >(slide_pre + 9), >(slide_pre + 8), >(slide_pre + 7), >(slide_pre + 6), >(slide_pre + 5), >(slide_pre + 4), >(slide_pre + 3), >(slide_pre + 2), >(slide_pre + 1), >(slide_pre + 0)
  .byte >(slide_pre + 23), >(slide_pre + 22), >(slide_pre + 21), >(slide_pre + 20), >(slide_pre + 19), >(slide_pre + 18), >(slide_pre + 17), >(slide_pre + 16), >(slide_pre + 15), >(slide_pre + 14), >(slide_pre + 13), >(slide_pre + 12), >(slide_pre + 11), >(slide_pre + 10), >(slide_pre + 9), >(slide_pre + 8), >(slide_pre + 7), >(slide_pre + 6), >(slide_pre + 5), >(slide_pre + 4), >(slide_pre + 3), >(slide_pre + 2), >(slide_pre + 1), >(slide_pre + 0)
  .align 128
post_lo:
  .byte <(slide_post + 0), <(slide_post + 1), <(slide_post + 2), <(slide_post + 3), <(slide_post + 4), <(slide_post + 5), <(slide_post + 6), <(slide_post + 7), <(slide_post + 8), <(slide_post + 9), <(slide_post + 10), <(slide_post + 11), <(slide_post + 12), <(slide_post + 13), <(slide_post + 14), <(slide_post + 15), <(slide_post + 16), <(slide_post + 17), <(slide_post + 18), <(slide_post + 19), <(slide_post + 20), <(slide_post + 21), <(slide_post + 22), <(slide_post + 23)
  .byte <(slide_post + 0), <(slide_post + 1), <(slide_post + 2), <(slide_post + 3), <(slide_post + 4), <(slide_post + 5), <(slide_post + 6), <(slide_post + 7), <(slide_post + 8), <(slide_post + 9), <(slide_post + 10), <(slide_post + 11), <(slide_post + 12), <(slide_post + 13), <(slide_post + 14), <(slide_post + 15), <(slide_post + 16), <(slide_post + 17), <(slide_post + 18), <(slide_post + 19), <(slide_post + 20), <(slide_post + 21), <(slide_post + 22), <(slide_post + 23)
  .byte <(slide_post + 0), <(slide_post + 1), <(slide_post + 2), <(slide_post + 3), <(slide_post + 4), <(slide_post + 5), <(slide_post + 6), <(slide_post + 7), <(slide_post + 8), <(slide_post + 9), <(slide_post + 10), <(slide_post + 11), <(slide_post + 12), <(slide_post + 13), <(slide_post + 14), <(slide_post + 15), <(slide_post + 16), <(slide_post + 17), <(slide_post + 18), <(slide_post + 19), <(slide_post + 20), <(slide_post + 21), <(slide_post + 22), <(slide_post + 23)
  .byte <(slide_post + 0), <(slide_post + 1), <(slide_post + 2), <(slide_post + 3), <(slide_post + 4), <(slide_post + 5), <(slide_post + 6), <(slide_post + 7), <(slide_post + 8), <(slide_post + 9), <(slide_post + 10), <(slide_post + 11), <(slide_post + 12), <(slide_post + 13), <(slide_post + 14), <(slide_post + 15), <(slide_post + 16), <(slide_post + 17), <(slide_post + 18), <(slide_post + 19), <(slide_post + 20), <(slide_post + 21), <(slide_post + 22), <(slide_post + 23)
  .align 128
post_hi:
  .byte >(slide_post + 0), >(slide_post + 1), >(slide_post + 2), >(slide_post + 3), >(slide_post + 4), >(slide_post + 5), >(slide_post + 6), >(slide_post + 7), >(slide_post + 8), >(slide_post + 9), >(slide_post + 10), >(slide_post + 11), >(slide_post + 12), >(slide_post + 13), >(slide_post + 14), >(slide_post + 15), >(slide_post + 16), >(slide_post + 17), >(slide_post + 18), >(slide_post + 19), >(slide_post + 20), >(slide_post + 21), >(slide_post + 22), >(slide_post + 23)
  .byte >(slide_post + 0), >(slide_post + 1), >(slide_post + 2), >(slide_post + 3), >(slide_post + 4), >(slide_post + 5), >(slide_post + 6), >(slide_post + 7), >(slide_post + 8), >(slide_post + 9), >(slide_post + 10), >(slide_post + 11), >(slide_post + 12), >(slide_post + 13), >(slide_post + 14), >(slide_post + 15), >(slide_post + 16), >(slide_post + 17), >(slide_post + 18), >(slide_post + 19), >(slide_post + 20), >(slide_post + 21), >(slide_post + 22), >(slide_post + 23)
  .byte >(slide_post + 0), >(slide_post + 1), >(slide_post + 2), >(slide_post + 3), >(slide_post + 4), >(slide_post + 5), >(slide_post + 6), >(slide_post + 7), >(slide_post + 8), >(slide_post + 9), >(slide_post + 10), >(slide_post + 11), >(slide_post + 12), >(slide_post + 13), >(slide_post + 14), >(slide_post + 15), >(slide_post + 16), >(slide_post + 17), >(slide_post + 18), >(slide_post + 19), >(slide_post + 20), >(slide_post + 21), >(slide_post + 22), >(slide_post + 23)
  .byte >(slide_post + 0), >(slide_post + 1), >(slide_post + 2), >(slide_post + 3), >(slide_post + 4), >(slide_post + 5), >(slide_post + 6), >(slide_post + 7), >(slide_post + 8), >(slide_post + 9), >(slide_post + 10), >(slide_post + 11), >(slide_post + 12), >(slide_post + 13), >(slide_post + 14), >(slide_post + 15), >(slide_post + 16), >(slide_post + 17), >(slide_post + 18), >(slide_post + 19), >(slide_post + 20), >(slide_post + 21), >(slide_post + 22), >(slide_post + 23)
  .align 128
seq_lo:
  .byte <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0, <seq0
  .byte <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1, <seq1
  .byte <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2, <seq2
  .byte <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3, <seq3
  .align 128
seq_hi:
  .byte >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0, >seq0
  .byte >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1, >seq1
  .byte >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2, >seq2
  .byte >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3, >seq3

  .org $9000
seq0:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  jmp @next
@next:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  jmp seq_done

  .org $9080
seq1:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  bne @next           ; taken (X is not 0), to the next instruction
@next:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  jmp seq_done

  .org $9100
seq2:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  bit $0300
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  jmp seq_done

  .org $92F0
seq3:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  bne @next           ; at $92FC: taken, from $92FE to $9300
  .byte $EA, $EA
@next:
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  inx
  jmp seq_done
